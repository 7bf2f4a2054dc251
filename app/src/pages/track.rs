//! The resident's pages: look a case up, follow it, rate it. Only masked data.

use crate::api::{RateCase, StopTexts, TrackLookup, get_public_case};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, fmt_time};
use crate::pages::photos::{Gallery, Upload};
use domain::photo::PhotoStage;
use domain::view::PublicCase;
use domain::{CheckpointStatus, Rating};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
fn LookupForm(code: Option<String>, lookup: ServerAction<TrackLookup>) -> impl IntoView {
    let i18n = use_i18n();
    let value = lookup.value();
    let fixed = code.is_some();
    view! {
        <ActionForm action=lookup attr:class="lookup">
            {if fixed {
                view! { <input type="hidden" name="code" value=code.clone().unwrap_or_default() /> }.into_any()
            } else {
                view! {
                    <label>
                        {t!(i18n, field.code)}
                        <input type="text" name="code" autocomplete="off" autocapitalize="characters" placeholder="K7QM-3XPA" maxlength="12" required />
                    </label>
                }
                    .into_any()
            }}
            <label>
                {t!(i18n, field.factor)}
                <input type="text" name="factor" inputmode="numeric" autocomplete="off" maxlength="6" required />
            </label>
            {move || value.get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
            <button type="submit">{t!(i18n, track.submit)}</button>
        </ActionForm>
    }
}

#[component]
pub fn Lookup() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let code = query.read_untracked().get("code");
    let lookup = ServerAction::<TrackLookup>::new();
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, track.title)}</h1>
            <p>{t!(i18n, track.intro)}</p>
            {match code {
                Some(c) if !c.is_empty() => view! { <LookupForm code=Some(c) lookup /> }.into_any(),
                _ => view! { <LookupForm code=None lookup /> }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn PublicCasePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let rate = ServerAction::<RateCase>::new();
    let lookup = ServerAction::<TrackLookup>::new();
    let stop = ServerAction::<StopTexts>::new();
    let photos_added = RwSignal::new(0_u32);
    let case = Resource::new(
        move || {
            (
                code(),
                rate.version().get(),
                lookup.version().get(),
                stop.version().get(),
                photos_added.get(),
            )
        },
        |(c, ..)| get_public_case(c),
    );
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match case.await {
                    Err(e) => view! { <section class="card narrow"><ErrorNote error=e /></section> }.into_any(),
                    Ok(None) => {
                        view! {
                            <section class="card narrow">
                                <h1>{t!(i18n, track.title)}</h1>
                                <p>{t!(i18n, track.verify)}</p>
                                <p class="code">{code()}</p>
                                <LookupForm code=Some(code()) lookup />
                            </section>
                        }
                            .into_any()
                    }
                    Ok(Some(c)) => view! { <PublicView c rate stop photos_added /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PublicView(
    c: PublicCase,
    rate: ServerAction<RateCase>,
    stop: ServerAction<StopTexts>,
    photos_added: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = c.status;
    let rating = c.rating;
    let value = rate.value();
    let deadline = c.deadline.clone().map(|d| {
        let (class, key) = match d.status {
            CheckpointStatus::Met => ("badge green", "met"),
            CheckpointStatus::Late | CheckpointStatus::Overdue => ("badge red", "breached"),
            _ => ("badge blue", "pending"),
        };
        view! {
            <span class=class data-breach=(key == "breached").to_string()>
                {fmt_time(d.due)} " · "
                {move || match key {
                    "met" => td_string!(i18n.get_locale(), track.met).to_string(),
                    "breached" => td_string!(i18n.get_locale(), track.breached).to_string(),
                    _ => td_string!(i18n.get_locale(), track.pending).to_string(),
                }}
            </span>
        }
    });
    view! {
        <article class="card public" data-status=status.as_str()>
            <h1>{c.title.clone()}</h1>
            <p>
                <span class="code">{c.code.clone()}</span>
                " · "
                <strong data-testid="public-status">{move || labels::status(i18n.get_locale(), status)}</strong>
            </p>
            <dl>
                <dt>{t!(i18n, field.category)}</dt>
                <dd>{c.category.clone()}</dd>
                <dt>{t!(i18n, cases.place)}</dt>
                <dd>{c.place.clone()}</dd>
                <dt>{t!(i18n, field.resident_name)}</dt>
                <dd data-testid="masked-name">{c.resident_name.clone()}</dd>
                <dt>{t!(i18n, field.resident_phone)}</dt>
                <dd data-testid="masked-phone">{c.resident_phone.clone()}</dd>
                <dt>{t!(i18n, track.unit)}</dt>
                <dd>{c.unit.clone().unwrap_or_default()}</dd>
                <dt>{t!(i18n, track.deadline)}</dt>
                <dd>{deadline}</dd>
                <dt>{t!(i18n, track.result)}</dt>
                <dd data-testid="public-result">{c.result.clone().unwrap_or_default()}</dd>
                <dt>{t!(i18n, track.your_rating)}</dt>
                <dd>{move || rating.map(|r| labels::rating(i18n.get_locale(), r)).unwrap_or_default()}</dd>
                {c.coordination.clone().map(|b| {
                    let s = b.status;
                    view! {
                        <dt>{t!(i18n, item.follows)}</dt>
                        <dd data-testid="public-item">
                            {b.title.clone()} " · " {move || labels::item_status(i18n.get_locale(), s)}
                            {b.latest.clone().map(|l| format!(" · {l}"))}
                        </dd>
                    }
                })}
            </dl>
            <ol class="steps public-steps">
                {c.steps.iter().map(|s| {
                    let step = s.step;
                    let done = s.at.is_some();
                    let when = s.at.map(fmt_time);
                    view! {
                        <li class=if done { "done" } else { "" }>
                            <strong>{move || labels::step(i18n.get_locale(), step)}</strong>
                            " "
                            {match when {
                                Some(w) => view! { <time>{w}</time> }.into_any(),
                                None => view! { <span class="muted">{t!(i18n, track.not_yet)}</span> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <section class="photos" id="photos">
                <h2>{t!(i18n, photo.heading)}</h2>
                <Gallery code=c.code.clone() photos=c.photos.clone() resident=true />
                {c.can_add_photos.then(|| view! {
                    <h3>{t!(i18n, photo.add_resident)}</h3>
                    <Upload action=format!("/track/{}/photos", c.code) stages=vec![PhotoStage::Report] added=photos_added static_page=true />
                })}
            </section>
            {c.notify.then(|| {
                let code = c.code.clone();
                view! {
                <ActionForm action=stop attr:class="texts">
                    <input type="hidden" name="code" value=code />
                    <p>{t!(i18n, sms.on)} " " <button type="submit" class="link">{t!(i18n, sms.stop)}</button></p>
                </ActionForm>
                }
            })}
            {c.can_rate.then(|| view! {
                <ActionForm action=rate attr:class="rating">
                    <fieldset>
                        <legend>{t!(i18n, track.rate_title)}</legend>
                        <input type="hidden" name="code" value=c.code.clone() />
                        {[Rating::Satisfied, Rating::FairlySatisfied, Rating::Dissatisfied].into_iter().map(|r| view! {
                            <label class="radio">
                                <input type="radio" name="rating" value=r.as_str() required />
                                {move || labels::rating(i18n.get_locale(), r)}
                            </label>
                        }).collect_view()}
                        <label>
                            {t!(i18n, field.comment)}
                            <textarea name="comment" rows="2" maxlength="2000"></textarea>
                        </label>
                    </fieldset>
                    {move || value.get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
                    <button type="submit">{t!(i18n, track.rate_submit)}</button>
                </ActionForm>
            })}
        </article>
    }
}
