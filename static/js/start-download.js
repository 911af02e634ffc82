// "Your download has started" (templates/accounts/export_started.html): start the download its link names, once the
// page has loaded (a navigation begun before would cut its loading short). The file comes as an attachment, so the
// page stays where it is; without JavaScript the person follows the link.
window.addEventListener('load', () => {
  const link = document.querySelector('a[data-start-download]')
  if (link) window.location.assign(link.href)
})
