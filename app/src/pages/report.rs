//! Raising a request online, and its receipt.

use crate::api::{SubmitOnline, get_public_options, get_public_receipt};
use crate::i18n::*;
use crate::pages::intake::ReceiptCard;
use crate::pages::layout::{ErrorNote, field_error, last_error};
use crate::pages::pickers::CategoryOptions;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn Report() -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |_| get_public_options());
    let submit = ServerAction::<SubmitOnline>::new();
    let error = last_error(submit.value());
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, report.title)}</h1>
            <p>{t!(i18n, report.intro)}</p>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => {
                            // A refused form comes back as the resident filled it in.
                            let d = o.draft.clone().unwrap_or_default();
                            view! {
                            <ActionForm action=submit attr:class="report">
                                <label>
                                    {t!(i18n, field.category)}
                                    <select name="category_id">
                                        <CategoryOptions categories=o.categories.clone() chosen=Signal::stored(Some(d.category_id.clone())) />
                                    </select>
                                </label>
                                <label>
                                    {t!(i18n, report.compound)}
                                    <select name="region_id">
                                        {o.compounds.iter().map(|r| view! {
                                            <option value=r.id.to_string() selected=d.region_id == r.id.to_string()>{r.label.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    {field_error(error, "region_id")}
                                </label>
                                <label>
                                    {t!(i18n, field.description)}
                                    <textarea name="description" rows="5" maxlength="2000">{d.description.clone()}</textarea>
                                    {field_error(error, "description")}
                                </label>
                                <label>
                                    {t!(i18n, field.resident_name)}
                                    <input type="text" name="resident_name" maxlength="30" autocomplete="name" value=d.resident_name.clone() />
                                    {field_error(error, "resident_name")}
                                </label>
                                <label>
                                    {t!(i18n, field.resident_phone)}
                                    <input type="tel" name="resident_phone" maxlength="20" autocomplete="tel" value=d.resident_phone.clone() />
                                    {field_error(error, "resident_phone")}
                                </label>
                                <label>
                                    {t!(i18n, field.resident_email)}
                                    <input type="email" name="resident_email" maxlength="254" autocomplete="email" value=d.resident_email.clone() />
                                    {field_error(error, "resident_email")}
                                </label>
                                <label class="check">
                                    <input type="checkbox" name="notify" value="1" checked=d.notify />
                                    {t!(i18n, sms.opt_in)}
                                </label>
                                // Hidden from people (and from screen readers); machines fill it in.
                                <div class="hp" aria-hidden="true">
                                    <label>
                                        "website"
                                        <input type="text" name="website" tabindex="-1" autocomplete="off" />
                                    </label>
                                </div>
                                <p class="hint">{t!(i18n, report.privacy)}</p>
                                {move || error.get().filter(|e| !matches!(e, crate::error::AppError::Invalid(_))).map(|e| view! { <ErrorNote error=e /> })}
                                <button type="submit">{t!(i18n, report.submit)}</button>
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
pub fn PublicReceiptPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let data = Resource::new(code, get_public_receipt);
    view! {
        <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <section class="card narrow"><ErrorNote error=e /></section> }.into_any(),
                    Ok(r) => view! { <ReceiptCard printed=r staff=false /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
