// Tells the person why a passkey or security-key step failed, in the page's language. allauth's WebAuthn script
// announces a failure as an 'allauth.error' event and, when nobody handles it, writes it to the console only: the
// page would just sit there.
(function () {
  'use strict'

  // The page's words, in its language (templates/mfa/webauthn/snippets/scripts.html).
  const words = (document.getElementById('webauthn-messages') || { dataset: {} }).dataset
  const MESSAGES = {
    NotAllowedError: words.notAllowed,
    AbortError: words.abort,
    InvalidStateError: words.invalidState,
    NotSupportedError: words.notSupported,
    SecurityError: words.security
  }

  function messageFor (exception) {
    if (!window.PublicKeyCredential) {
      return words.unsupported
    }
    return MESSAGES[exception && exception.name] || words.other
  }

  function showError (text) {
    let alert = document.getElementById('webauthn-error')
    if (!alert) {
      alert = document.createElement('div')
      alert.id = 'webauthn-error'
      alert.className = 'alert alert-danger'
      alert.setAttribute('role', 'alert')
      const main = document.getElementById('main')
      const heading = main.querySelector('h1')
      if (heading) {
        heading.after(alert)
      } else {
        main.prepend(alert)
      }
    }
    alert.textContent = text
  }

  document.addEventListener('allauth.error', function (event) {
    const detail = event.detail || {}
    if (!(detail.tags || []).includes('webauthn')) {
      return
    }
    event.preventDefault()
    console.warn(detail.exception)
    showError(messageFor(detail.exception))
  })
})()
