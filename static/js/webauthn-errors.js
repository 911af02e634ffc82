// Tells the person why a security-key or passkey step failed. allauth's WebAuthn script announces a failure as an
// 'allauth.error' event and, when nobody handles it, writes it to the console only: the page would just sit there.
(function () {
  'use strict'

  const MESSAGES = {
    NotAllowedError: 'The security key did not answer, or the request was cancelled. Try again, or choose another way.',
    AbortError: 'The request to your security key was cancelled. Try again.',
    InvalidStateError: 'This security key is already registered on your account.',
    NotSupportedError: 'This security key cannot be used here. Try another key, or choose another way.',
    SecurityError: 'Security keys work only on this site’s own address, over HTTPS.'
  }
  const UNSUPPORTED = 'This browser cannot use security keys or passkeys here. Choose another way.'
  const OTHER = 'The security key could not be used. Try again, or choose another way.'

  function messageFor (exception) {
    if (!window.PublicKeyCredential) {
      return UNSUPPORTED
    }
    return MESSAGES[exception && exception.name] || OTHER
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
