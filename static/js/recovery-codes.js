// The recovery codes page (templates/mfa/recovery_codes/index.html): Copy puts the codes on the clipboard, one a line,
// and says so; Print prints the sheet of codes alone (static/css/site.css, @media print). Both need JavaScript, so
// they stay hidden without it; Download is a plain link and always works.
(() => {
  const list = document.querySelector('[data-recovery-codes]')
  if (!list) return
  const codes = [...list.querySelectorAll('li')].map((item) => item.textContent.trim())
  const status = document.querySelector('[data-copy-status]')

  const copy = document.querySelector('[data-copy-codes]')
  if (copy && navigator.clipboard) {
    copy.hidden = false
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(codes.join('\n') + '\n')
        status.textContent = copy.dataset.copied
      } catch {
        status.textContent = copy.dataset.copyFailed
      }
    })
  }

  const print = document.querySelector('[data-print-codes]')
  if (print) {
    print.hidden = false
    print.addEventListener('click', () => window.print())
  }
})()
