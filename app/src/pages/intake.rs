//! Step 1: registering a request, and the printable receipt.

use crate::api::{PrintedReceipt, RegisterCase, get_receipt, intake_options};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use domain::Source;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn Intake() -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |_| intake_options());
    let register = ServerAction::<RegisterCase>::new();
    let value = last_error(register.value());
    view! {
        <section class="card">
            <h1>{t!(i18n, intake.title)}</h1>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => {
                            view! {
                                <ActionForm action=register attr:class="form-grid">
                                    <label>
                                        {t!(i18n, field.title)}
                                        <input type="text" name="title" maxlength="60" />
                                        {field_error(value, "title")}
                                    </label>
                                    <label>
                                        {t!(i18n, field.category)}
                                        <select name="category_id">
                                            {o.categories.iter().map(|c| {
                                                let zh = c.name_zh.clone();
                                                let en = c.name_en.clone();
                                                view! {
                                                    <option value=c.id.to_string()>
                                                        {move || if i18n.get_locale() == Locale::zh { zh.clone() } else { en.clone() }}
                                                    </option>
                                                }
                                            }).collect_view()}
                                        </select>
                                        {field_error(value, "category_id")}
                                    </label>
                                    <label class="wide">
                                        {t!(i18n, field.description)}
                                        <textarea name="description" rows="4" maxlength="2000"></textarea>
                                        {field_error(value, "description")}
                                    </label>
                                    <label>
                                        {t!(i18n, field.region)}
                                        <select name="region_id">
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
                    view! {
                        <A href=href>{t!(i18n, receipt.open_case)}</A>
                        " "
                        <A href="/intake">{t!(i18n, receipt.another)}</A>
                    }
                        .into_any()
                } else {
                    view! { <A href=track>{t!(i18n, receipt.follow)}</A> }.into_any()
                }}
            </p>
        </section>
    }
}
