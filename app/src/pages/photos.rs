//! Photos on a case page: the gallery (before and after side by side) and
//! the upload form. The form is a plain multipart form that works before
//! the script loads; with it, the upload shows its progress and the page
//! reloads the case instead of the whole page.

use crate::api::PublishPhoto;
use crate::i18n::*;
use domain::photo::{PER_UPLOAD, PhotoInfo, PhotoStage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub fn stage_label(l: Locale, s: PhotoStage) -> String {
    match s {
        PhotoStage::Report => td_string!(l, photo.stage_report),
        PhotoStage::Progress => td_string!(l, photo.stage_progress),
        PhotoStage::Before => td_string!(l, photo.stage_before),
        PhotoStage::After => td_string!(l, photo.stage_after),
    }
    .to_string()
}

/// An upload's refusal in words (the keys the upload routes answer with).
pub fn problem(l: Locale, key: &str) -> String {
    match key {
        "too_many_photos" => td_string!(l, photo.too_many_photos, n = PER_UPLOAD).to_string(),
        "case_full" => td_string!(l, photo.case_full).to_string(),
        "closed_case" => td_string!(l, photo.closed_case).to_string(),
        "stage_not_yours" => td_string!(l, photo.stage_not_yours).to_string(),
        "not_a_photo" => td_string!(l, photo.not_a_photo).to_string(),
        "photo_too_large" => td_string!(l, photo.photo_too_large).to_string(),
        "photo_damaged" => td_string!(l, photo.photo_damaged).to_string(),
        "required" => td_string!(l, photo.required).to_string(),
        "refused" => td_string!(l, photo.refused).to_string(),
        "too_often" => td_string!(l, photo.too_often).to_string(),
        _ => td_string!(l, photo.unavailable).to_string(),
    }
}

/// One photo: the thumbnail, linked to the full picture.
#[component]
fn Thumb(p: PhotoInfo) -> impl IntoView {
    let i18n = use_i18n();
    let stage = p.stage;
    // The thumbnail's size, known before it loads: the page does not jump.
    let (w, h) = domain::photo::fit(p.width, p.height, domain::photo::THUMB_EDGE);
    view! {
        <a href=format!("/photos/{}", p.id) target="_blank" rel="noopener" title=move || td_string!(i18n.get_locale(), photo.open).to_string()>
            <img src=format!("/photos/{}/small", p.id) loading="lazy" width=w height=h
                alt=move || stage_label(i18n.get_locale(), stage) />
        </a>
    }
}

/// A case's photos by stage; `publish` lets staff show each on the
/// resident's page or stop showing it.
#[component]
pub fn Gallery(
    code: String,
    photos: Vec<PhotoInfo>,
    #[prop(optional)] publish: Option<ServerAction<PublishPhoto>>,
    /// The resident's page: their own photos are marked as theirs.
    #[prop(optional)]
    resident: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    if photos.is_empty() {
        return view! { <p class="muted">{t!(i18n, photo.none)}</p> }.into_any();
    }
    let of = |stage: PhotoStage| -> Vec<PhotoInfo> {
        photos
            .iter()
            .filter(|p| p.stage == stage)
            .cloned()
            .collect()
    };
    let figure = move |p: PhotoInfo| {
        let code = code.clone();
        let id = p.id;
        let public = p.public;
        let mine = resident && p.by_resident;
        view! {
            <figure data-photo=id data-public=public.to_string()>
                <Thumb p=p.clone() />
                <figcaption>
                    {mine.then(|| view! { <span class="badge">{t!(i18n, photo.yours)}</span> })}
                    {publish.map(|action| view! {
                        <span class=if public { "badge green" } else { "badge" }>
                            {move || if public {
                                td_string!(i18n.get_locale(), photo.public).to_string()
                            } else {
                                td_string!(i18n.get_locale(), photo.private).to_string()
                            }}
                        </span>
                        <ActionForm action attr:class="inline">
                            <input type="hidden" name="code" value=code.clone() />
                            <input type="hidden" name="photo" value=id />
                            <input type="hidden" name="public" value=(!public).to_string() />
                            <button type="submit" class="link">
                                {move || if public {
                                    td_string!(i18n.get_locale(), photo.hide).to_string()
                                } else {
                                    td_string!(i18n.get_locale(), photo.publish).to_string()
                                }}
                            </button>
                        </ActionForm>
                    })}
                </figcaption>
            </figure>
        }
    };
    let row = move |stage: PhotoStage, list: Vec<PhotoInfo>| {
        let figure = figure.clone();
        (!list.is_empty()).then(|| {
            view! {
                <div class="photo-stage" data-stage=stage.as_str()>
                    <h3>{move || stage_label(i18n.get_locale(), stage)}</h3>
                    <div class="photo-row">{list.into_iter().map(figure).collect_view()}</div>
                </div>
            }
        })
    };
    let (before, after) = (of(PhotoStage::Before), of(PhotoStage::After));
    let paired = !before.is_empty() || !after.is_empty();
    view! {
        <div class="gallery">
            {row(PhotoStage::Report, of(PhotoStage::Report))}
            {row(PhotoStage::Progress, of(PhotoStage::Progress))}
            // 整改前后: the two columns side by side, the evidence of closure.
            {paired.then(|| view! {
                <div class="before-after" data-testid="before-after">
                    {row(PhotoStage::Before, before)}
                    {row(PhotoStage::After, after)}
                </div>
            })}
            {publish.is_some().then(|| view! { <p class="hint">{t!(i18n, photo.review_hint)}</p> })}
        </div>
    }
    .into_any()
}

/// The upload form, sent to `action` (`/cases/{code}/photos` or
/// `/track/{code}/photos`); `added` counts successful uploads so the page
/// can reload the case. On a page sent without the app (`static_page`),
/// `/upload.js` shows the progress instead (a kilobyte, not the app).
#[component]
pub fn Upload(
    action: String,
    stages: Vec<PhotoStage>,
    added: RwSignal<u32>,
    #[prop(optional)] static_page: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    // Bytes sent and to send while an upload is on its way.
    let sent = RwSignal::new(None::<(f64, f64)>);
    let error = RwSignal::new(None::<String>);
    // A plain form's refusal comes back in the address (see the upload route).
    let query = use_query_map();
    let from_address = query.read_untracked().get("photo_error");
    let single = stages.len() == 1;
    let first = stages.first().copied().unwrap_or(PhotoStage::Report);
    let target = action.clone();
    view! {
        <form method="post" enctype="multipart/form-data" action=action class="photo-upload" data-testid="photo-upload"
            on:submit=move |ev| {
                ev.prevent_default();
                send(&ev, &target, sent, error, added);
            }>
            {if single {
                view! { <input type="hidden" name="stage" value=first.as_str() /> }.into_any()
            } else {
                view! {
                    <label>
                        {t!(i18n, photo.stage)}
                        <select name="stage">
                            {stages.iter().map(|s| {
                                let s = *s;
                                view! { <option value=s.as_str()>{move || stage_label(i18n.get_locale(), s)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            }}
            <label>
                {t!(i18n, photo.file)}
                <input type="file" name="photo" accept="image/jpeg,image/png,image/webp,image/*" multiple required />
            </label>
            <p class="hint">{t!(i18n, photo.hint, n = PER_UPLOAD)}</p>
            <button type="submit">{t!(i18n, photo.send)}</button>
            <progress class="sending" hidden value="0" max="1"></progress>
            {static_page.then(|| view! { <script src="/upload.js" defer nonce=leptos::nonce::use_nonce()></script> })}
            {move || sent.get().map(|(done, total)| view! {
                <p data-testid="photo-progress">
                    <progress max=total value=done></progress> " "
                    {if done < total {
                        t_string!(i18n, photo.sending, done = (done / 1024.0).ceil(), total = (total / 1024.0).ceil()).to_string()
                    } else {
                        t_string!(i18n, photo.preparing).to_string()
                    }}
                </p>
            })}
            {move || error.get().or_else(|| from_address.clone()).map(|key| view! {
                <p class="error" role="alert" data-testid="photo-error">{move || problem(i18n.get_locale(), &key)}</p>
            })}
        </form>
    }
}

/// Sends the form with XMLHttpRequest, whose upload events count the bytes
/// (fetch cannot). Without a usable request the form is sent as it is.
#[cfg(feature = "hydrate")]
fn send(
    ev: &leptos::ev::SubmitEvent,
    action: &str,
    sent: RwSignal<Option<(f64, f64)>>,
    error: RwSignal<Option<String>>,
    added: RwSignal<u32>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let (Ok(xhr), Ok(body)) = (
        web_sys::XmlHttpRequest::new(),
        web_sys::FormData::new_with_form(&form),
    ) else {
        let _ = form.submit();
        return;
    };
    if xhr.open("POST", action).is_err()
        || xhr
            .set_request_header("Accept", "application/json")
            .is_err()
    {
        let _ = form.submit();
        return;
    }
    error.set(None);
    sent.set(Some((0.0, 1.0)));
    count_sent(&xhr, sent);
    let done = xhr.clone();
    let on_end = Closure::once_into_js(move || {
        sent.set(None);
        if done.status().ok() == Some(200) {
            form.reset();
            added.update(|n| *n += 1);
            return;
        }
        // The site's body limit answers before the route can, in plain text.
        if done.status().ok() == Some(413) {
            error.set(Some("photo_too_large".into()));
            return;
        }
        let key = done
            .response_text()
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| "unavailable".into());
        error.set(Some(key));
    });
    xhr.set_onloadend(Some(on_end.unchecked_ref()));
    if xhr.send_with_opt_form_data(Some(&body)).is_err() {
        sent.set(None);
        error.set(Some("unavailable".into()));
    }
}

/// Keeps `sent` at the bytes sent and to send while `xhr` uploads.
#[cfg(feature = "hydrate")]
pub(crate) fn count_sent(xhr: &web_sys::XmlHttpRequest, sent: RwSignal<Option<(f64, f64)>>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(up) = xhr.upload() else {
        return;
    };
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() {
                sent.set(Some((e.loaded(), e.total())));
            }
        });
    up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    // The request holds the handler for its lifetime; one small closure per upload.
    on_progress.forget();
}

#[cfg(not(feature = "hydrate"))]
fn send(
    _ev: &leptos::ev::SubmitEvent,
    _action: &str,
    _sent: RwSignal<Option<(f64, f64)>>,
    _error: RwSignal<Option<String>>,
    _added: RwSignal<u32>,
) {
}
