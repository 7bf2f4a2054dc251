//! Step 1: registering a request, and the printable receipt.

use crate::api::{PrintedReceipt, RegisterCase, get_receipt, intake_options, similar_cases};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use crate::pages::pickers::CategoryOptions;
use domain::Source;
use domain::similarity::RawSimilarQuery;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn Intake() -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |_| intake_options());
    let register = ServerAction::<RegisterCase>::new();
    let value = last_error(register.value());
    // What is typed so far, for the duplicate check (read when a field is left).
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let region = RwSignal::new(None::<String>);
    let similar = Resource::new(
        move || (region.get(), title.get(), description.get()),
        |(region, title, description)| async move {
            let text = format!("{title} {description}");
            match region {
                Some(region_id) if text.trim().chars().count() >= 2 => {
                    similar_cases(RawSimilarQuery { region_id, text }).await
                }
                _ => Ok(vec![]),
            }
        },
    );
    view! {
        <section class="card">
            <h1>{t!(i18n, intake.title)}</h1>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => {
                            if region.get_untracked().is_none() {
                                region.set(o.regions.first().map(|r| r.id.to_string()));
                            }
                            view! {
                                <ActionForm action=register attr:class="form-grid">
                                    <label>
                                        {t!(i18n, field.title)}
                                        <input type="text" name="title" maxlength="60"
                                            on:change=move |ev| title.set(event_target_value(&ev)) />
                                        {field_error(value, "title")}
                                    </label>
                                    <label>
                                        {t!(i18n, field.category)}
                                        <select name="category_id">
                                            <CategoryOptions categories=o.categories.clone() />
                                        </select>
                                        {field_error(value, "category_id")}
                                    </label>
                                    <label class="wide">
                                        {t!(i18n, field.description)}
                                        <textarea name="description" rows="4" maxlength="2000"
                                            on:change=move |ev| description.set(event_target_value(&ev))></textarea>
                                        {field_error(value, "description")}
                                    </label>
                                    <Transition fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            let found = similar.await.unwrap_or_default();
                                            (!found.is_empty()).then(|| view! { <SimilarCases found=found /> })
                                        })}
                                    </Transition>
                                    <label>
                                        {t!(i18n, field.region)}
                                        <select name="region_id" on:change=move |ev| region.set(Some(event_target_value(&ev)))>
                                            {o.regions.iter().map(|r| view! {
                                                <option value=r.id.to_string()>{r.label.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                        {field_error(value, "region_id")}
                                    </label>
                                    <label>
                                        {t!(i18n, field.station)}
                                        <select name="station_id">
                                            {o.stations.iter().map(|s| view! {
                                                <option value=s.id.to_string()>{s.name.clone()}</option>
                                            }).collect_view()}
                                            <option value="">{t!(i18n, field.none)}</option>
                                        </select>
                                        {field_error(value, "station_id")}
                                    </label>
                                    <label>
                                        {t!(i18n, field.source)}
                                        <select name="source">
                                            {Source::AT_INTAKE.into_iter().map(|s| view! {
                                                <option value=s.as_str()>{move || labels::source(i18n.get_locale(), s)}</option>
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <fieldset class="wide private">
                                        <legend>{t!(i18n, intake.resident)} " · " {t!(i18n, field.private)}</legend>
                                        <label>
                                            {t!(i18n, field.resident_name)}
                                            <input type="text" name="resident_name" maxlength="30" autocomplete="off" />
                                            {field_error(value, "resident_name")}
                                        </label>
                                        <label>
                                            {t!(i18n, field.resident_phone)}
                                            <input type="tel" name="resident_phone" maxlength="20" autocomplete="off" />
                                            {field_error(value, "resident_phone")}
                                        </label>
                                        <label>
                                            {t!(i18n, field.resident_email)}
                                            <input type="email" name="resident_email" maxlength="254" autocomplete="off" />
                                            {field_error(value, "resident_email")}
                                        </label>
                                        <label class="check">
                                            <input type="checkbox" name="notify" value="1" />
                                            {t!(i18n, sms.opt_in_staff)}
                                        </label>
                                    </fieldset>
                                    {move || value.get().filter(|e| !matches!(e, crate::error::AppError::Invalid(_))).map(|e| view! { <ErrorNote error=e /> })}
                                    <button type="submit" class="wide">{t!(i18n, intake.submit)}</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Open cases nearby that read like this request: the director decides
/// whether it is a duplicate.
#[component]
fn SimilarCases(found: Vec<domain::view::SimilarCase>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <aside class="wide similar" data-testid="similar" aria-live="polite">
            <h2>{t!(i18n, intake.similar_title)}</h2>
            <ul>
                {found.into_iter().map(|c| {
                    let status = c.status;
                    let score = c.score;
                    let href = format!("/cases/{}", c.code);
                    let code = c.code.clone();
                    view! {
                        <li data-code=c.code>
                            <A href=href attr:target="_blank" attr:class="code">{code}</A>
                            " " {c.title} " · " {c.place} " · "
                            {move || labels::status(i18n.get_locale(), status)}
                            " · " {t!(i18n, intake.similar_score, score = score)}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="hint">{t!(i18n, intake.similar_hint)}</p>
        </aside>
    }
}

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let data = Resource::new(code, get_receipt);
    view! {
        <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(r) => view! { <ReceiptCard printed=r staff=true /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A receipt to print for the resident: code, PIN and a QR code to the case's public page.
#[component]
pub fn ReceiptCard(printed: PrintedReceipt, staff: bool) -> impl IntoView {
    let i18n = use_i18n();
    let r = printed.receipt;
    let href = format!("/cases/{}", r.code);
    let track = format!("/track/{}", r.code);
    view! {
        <section class="card receipt" data-testid="receipt">
            <h1>{t!(i18n, receipt.title)}</h1>
            <div class="receipt-body">
                <dl>
                    <dt>{t!(i18n, receipt.code)}</dt>
                    <dd class="code" data-testid="receipt-code">{r.code.clone()}</dd>
                    <dt>{t!(i18n, receipt.pin)}</dt>
                    <dd class="code" data-testid="receipt-pin">{r.pin.clone()}</dd>
                    <dt>{t!(i18n, field.title)}</dt>
                    <dd>{r.title.clone()}</dd>
                    <dt>{t!(i18n, field.category)}</dt>
                    <dd>{r.category.clone()}</dd>
                    <dt>{t!(i18n, field.region)}</dt>
                    <dd>{r.place.clone()}</dd>
                    <dt>{t!(i18n, field.station)}</dt>
                    <dd>{r.station.clone().unwrap_or_default()}</dd>
                    <dt>{t!(i18n, receipt.registered_at)}</dt>
                    <dd>{fmt_time(r.created_at)}</dd>
                </dl>
                <figure class="qr">
                    <div data-testid="receipt-qr" data-url=printed.url.clone() inner_html=printed.qr_svg></div>
                    <figcaption>{t!(i18n, receipt.scan)}</figcaption>
                </figure>
            </div>
            <p class="hint">{t!(i18n, receipt.hint)}</p>
            <p class="no-print">
                <button type="button" onclick="window.print()">{t!(i18n, receipt.print)}</button>
                " "
                {if staff {
                    // Photos taken at the desk or the session (a phone offers
                    // its camera) go on the case's photo card.
                    let photos = format!("{href}#photos");
                    view! {
                        <A href=href>{t!(i18n, receipt.open_case)}</A>
                        " "
                        <a href=photos data-testid="add-photos">{t!(i18n, photo.add_resident)}</a>
                        " "
                        <A href="/intake">{t!(i18n, receipt.another)}</A>
                    }
                        .into_any()
                } else {
                    let photos = format!("{track}#photos");
                    view! {
                        <A href=track>{t!(i18n, receipt.follow)}</A>
                        " "
                        <a href=photos data-testid="add-photos">{t!(i18n, photo.add_resident)}</a>
                    }
                        .into_any()
                }}
            </p>
        </section>
    }
}
