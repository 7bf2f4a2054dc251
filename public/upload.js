// Photo uploads on residents' pages, which are sent without the app: the
// same multipart form, sent by XMLHttpRequest so a slow connection shows
// how much has gone up. The server answers as it does the plain form (a
// redirect back to the case, with any refusal in the address), and the
// page loads that answer.
document.addEventListener('submit', function (ev) {
  var form = ev.target;
  if (!form.classList || !form.classList.contains('photo-upload') || !window.FormData) return;
  ev.preventDefault();
  var bar = form.querySelector('progress.sending');
  var xhr = new XMLHttpRequest();
  xhr.open('POST', form.action);
  if (bar) {
    bar.hidden = false;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    };
  }
  xhr.onloadend = function () {
    var back = xhr.status === 413 ? form.action.replace(/\/photos$/, '?photo_error=photo_too_large') : xhr.responseURL;
    var here = window.location.href.split('#')[0];
    if (!back || back === here) window.location.reload();
    else window.location.assign(back + '#photos');
  };
  xhr.send(new FormData(form));
  form.querySelector('button[type="submit"]').disabled = true;
});
