// The CV field, enhanced: a file can be dropped onto it; its type and size are checked before a byte is sent, in the
// server's own words (the input's data-cv-* attributes come from accounts.validators); the upload shows its progress
// and can be cancelled. The request is the multipart POST the plain form sends, to the same URL, so the server does
// exactly what it does without this script, and the page it answers with is shown as the browser would show it.
(function () {
  'use strict'

  // The extension as the server sees it (Python's os.path.splitext): after the last dot, unless only dots precede it.
  function extensionOf (name) {
    const dot = name.lastIndexOf('.')
    if (dot < 0 || !/[^.]/.test(name.slice(0, dot))) {
      return ''
    }
    return name.slice(dot + 1).toLowerCase()
  }

  // Fills in the %(name)s placeholders that the server's messages (and ours) carry.
  function fill (template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole
    })
  }

  function beginsWith (file, signature) {
    return file.slice(0, signature.length).arrayBuffer().then(function (buffer) {
      const bytes = new Uint8Array(buffer)
      return bytes.length === signature.length && Array.prototype.every.call(signature, function (character, index) {
        return bytes[index] === character.charCodeAt(0)
      })
    })
  }

  // The server's refusal of this file, in the form's order (empty, then the validator's: extension, size, content),
  // or null. The browser reads a PDF's signature cheaply; a DOCX's or ODT's inner structure is left to the server.
  function refusalOf (file, rules) {
    if (file.size === 0) {
      return Promise.resolve(rules.cvEmpty)
    }
    const extension = extensionOf(file.name)
    if (rules.cvExtensions.split(' ').indexOf(extension) < 0) {
      return Promise.resolve(fill(rules.cvWrongExtension, { extension: extension ? '.' + extension : rules.cvNoExtension }))
    }
    if (file.size > Number(rules.cvMaxBytes)) {
      return Promise.resolve(rules.cvTooLarge)
    }
    if (extension !== 'pdf') {
      return Promise.resolve(null)
    }
    return beginsWith(file, rules.cvPdfSignature).then(function (isPdf) {
      return isPdf ? null : fill(rules.cvWrongContent, { kind: extension.toUpperCase() })
    }, function () {
      return null // unreadable here: the server decides
    })
  }

  function carriesFiles (event) {
    return Boolean(event.dataTransfer) && Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') >= 0
  }

  function formDataOf (form, submitter) {
    try {
      return new FormData(form, submitter)
    } catch (error) { // a browser without the submitter argument
      const data = new FormData(form)
      if (submitter && submitter.name) {
        data.append(submitter.name, submitter.value)
      }
      return data
    }
  }

  // --- Showing the server's answer ------------------------------------------------------------------------------

  let shownPath = null

  function isOneOf (url, candidates) {
    const path = new URL(url, window.location.href).pathname
    return candidates.some(function (candidate) {
      return candidate !== null && new URL(candidate, window.location.href).pathname === path
    })
  }

  function pathOf (url) {
    const address = new URL(url, window.location.href)
    return address.pathname + address.search
  }

  // The server's answer replaces the page's main content, its title and its address, as a page load would. Only
  // <main> is replaced: the header's and footer's scripts stay bound to their elements; the page after a redirect
  // is the same layout. Back and forward then load their pages afresh.
  function showPage (page, url) {
    const incoming = page.getElementById('main')
    const current = document.getElementById('main')
    if (incoming && current) {
      current.replaceWith(document.adoptNode(incoming))
    } else {
      document.body.replaceWith(document.adoptNode(page.body))
    }
    document.title = page.title
    if (pathOf(url) !== pathOf(window.location.href)) {
      window.history.pushState(null, '', url)
    }
    if (shownPath === null) {
      window.addEventListener('popstate', function () {
        if (pathOf(window.location.href) !== shownPath) {
          window.location.reload()
        }
      })
    }
    shownPath = pathOf(url)
    // The footer's language switch comes back to the page now shown.
    document.querySelectorAll('footer input[name="next"]').forEach(function (next) { next.value = shownPath })
    window.scrollTo(0, 0)
    enhanceAll(document)
    // Where a person's attention goes on a fresh page: the field in error, else the page's message, else its heading.
    const main = document.getElementById('main') || document.body
    const target = main.querySelector('.is-invalid:is(input, select, textarea)') || main.querySelector('.alert') || main.querySelector('h1')
    if (target) {
      if (!target.matches('input, select, textarea, button, a[href]')) {
        target.setAttribute('tabindex', '-1')
      }
      target.focus()
    }
  }

  // --- One CV field ---------------------------------------------------------------------------------------------

  function enhance (box) {
    if (box.hasAttribute('data-cv-enhanced')) {
      return
    }
    const input = box.querySelector('input[type="file"]')
    const form = input && input.form
    if (!form || !window.XMLHttpRequest || !window.FormData || !window.DataTransfer) {
      return // the plain field, as without this script
    }
    box.setAttribute('data-cv-enhanced', '')
    const rules = input.dataset
    const texts = box.dataset
    const zone = box.querySelector('[data-cv-drop-zone]')
    const refusal = box.querySelector('[data-cv-refusal]')
    const status = box.querySelector('[data-cv-status]')
    const progress = box.querySelector('[data-cv-progress]')
    const bar = progress.querySelector('[role="progressbar"]')
    const barFill = bar.querySelector('.progress-bar')
    const percent = progress.querySelector('[data-cv-percent]')
    const cancel = progress.querySelector('[data-cv-cancel]')
    const percentFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: 'percent' })
    let checking = Promise.resolve(null)
    let request = null

    box.querySelector('[data-cv-drop-hint]').hidden = false
    const describedBy = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
    input.setAttribute('aria-describedby', describedBy.concat([refusal.id, status.id]).join(' '))

    function refuse (message) {
      input.classList.add('is-invalid')
      input.setAttribute('aria-invalid', 'true')
      status.textContent = ''
      refusal.textContent = message
    }

    function clearMessages () {
      input.classList.remove('is-invalid')
      input.removeAttribute('aria-invalid')
      refusal.textContent = ''
      status.textContent = ''
      // The server's error was about the file posted before; this is another one.
      const earlier = document.getElementById(input.id + '_error')
      if (earlier) {
        earlier.remove()
      }
    }

    // Checks the chosen file at once; a refused file stays chosen (its name beside its refusal) but is never sent.
    function choose (file) {
      clearMessages()
      if (!file) {
        checking = Promise.resolve(null)
        return
      }
      checking = refusalOf(file, rules).then(function (message) {
        if (message) {
          refuse(message)
        } else {
          status.textContent = fill(texts.cvTextChosen, { name: file.name })
        }
        return message
      })
    }

    function showProgress (fraction) {
      const value = Math.floor(fraction * 100)
      bar.setAttribute('aria-valuenow', String(value))
      barFill.style.width = value + '%' // the CSSOM, which a CSP without 'unsafe-inline' allows
      percent.textContent = percentFormat.format(value / 100)
    }

    function setBusy (busy) {
      form.querySelectorAll('[type="submit"]').forEach(function (button) {
        button.disabled = busy
      })
      input.disabled = busy
      progress.hidden = !busy
      cancel.hidden = !busy
      zone.setAttribute('aria-busy', String(busy))
    }

    function upload (submitter) {
      const file = input.files[0]
      const body = formDataOf(form, submitter)
      const xhr = new XMLHttpRequest()
      request = xhr
      xhr.open('POST', form.action)
      xhr.responseType = 'document'
      xhr.upload.addEventListener('progress', function (event) {
        if (event.lengthComputable) {
          showProgress(event.loaded / event.total)
        }
      })
      xhr.upload.addEventListener('load', function () {
        // Every byte is sent: from now on the server decides, and cancelling could no longer promise anything.
        showProgress(1)
        cancel.hidden = true
        status.textContent = texts.cvTextSaving
      })
      xhr.addEventListener('load', function () {
        request = null
        const answeredAt = xhr.responseURL || form.action
        if (xhr.responseXML && xhr.responseXML.body && !isOneOf(answeredAt, [form.action, box.getAttribute('data-cv-success-url')])) {
          // Somewhere else altogether (the session ended meanwhile: the log-in page): a page of its own, not this
          // page's <main> in the wrong header.
          window.location.assign(answeredAt)
        } else if (xhr.responseXML && xhr.responseXML.body) {
          showPage(xhr.responseXML, answeredAt)
        } else {
          setBusy(false)
          refuse(texts.cvTextFailed)
        }
      })
      xhr.addEventListener('abort', function () {
        request = null
        setBusy(false)
        status.textContent = texts.cvTextCancelled
        input.focus()
      })
      xhr.addEventListener('error', function () {
        request = null
        setBusy(false)
        refuse(texts.cvTextFailed)
      })
      showProgress(0)
      setBusy(true)
      clearMessages() // a failed attempt's message, say
      status.textContent = fill(texts.cvTextUploading, { name: file.name })
      xhr.send(body)
      cancel.focus()
    }

    input.addEventListener('change', function () {
      choose(input.files[0])
    })

    form.addEventListener('submit', function (event) {
      if (request) {
        event.preventDefault()
        return
      }
      if (!input.files.length) {
        return // nothing to upload: the plain post
      }
      event.preventDefault()
      const submitter = event.submitter
      checking.then(function (message) {
        if (message) {
          // As the server would: the form is not sent while its file is refused. Said again, where the person is.
          refusal.textContent = ''
          window.setTimeout(function () { refuse(message) }, 100)
          input.focus()
        } else if (input.files.length) {
          upload(submitter)
        }
      })
    })

    cancel.addEventListener('click', function () {
      if (request) {
        request.abort()
      }
    })

    function highlight (on) {
      zone.classList.toggle('border-primary', on)
      zone.classList.toggle('bg-primary-subtle', on)
    }

    zone.addEventListener('dragover', function (event) {
      if (!carriesFiles(event) || request) {
        return
      }
      event.preventDefault()
      event.dataTransfer.dropEffect = 'copy'
      highlight(true)
    })
    zone.addEventListener('dragleave', function (event) {
      if (!zone.contains(event.relatedTarget)) {
        highlight(false)
      }
    })
    zone.addEventListener('drop', function (event) {
      if (!carriesFiles(event) || request) {
        return
      }
      event.preventDefault()
      highlight(false)
      const files = event.dataTransfer.files
      if (files.length !== 1) {
        clearMessages()
        refuse(texts.cvTextOneFile)
        return
      }
      input.files = files
      choose(files[0])
    })
  }

  // Leaving the page would break an upload off: the browser asks first, as it does for a form being sent. Once for the
  // page, whichever field is uploading (a re-shown form is enhanced again).
  window.addEventListener('beforeunload', function (event) {
    if (document.querySelector('[data-cv-drop-zone][aria-busy="true"]')) {
      event.preventDefault()
      event.returnValue = ''
    }
  })

  function enhanceAll (root) {
    root.querySelectorAll('[data-cv-upload]').forEach(enhance)
  }

  // A file dropped just beside the drop zone would make the browser open it in place of the page, and the form with
  // its typed names would be gone: on a page with a CV field, the rest of the page refuses drops instead.
  function refuseStrayDrops (event) {
    if (carriesFiles(event) && document.querySelector('[data-cv-enhanced]') && !event.defaultPrevented) {
      event.preventDefault()
      event.dataTransfer.dropEffect = 'none'
    }
  }
  document.addEventListener('dragover', refuseStrayDrops)
  document.addEventListener('drop', refuseStrayDrops)

  enhanceAll(document)
})()
