//! The station's callback list (回访): cases that have waited too long for
//! the resident's rating, each with its calls so far, the number shown on
//! request, and the form that records a call.

use crate::api::{CallbackQueue, Perform, RecordCall, RevealPhone, callback_list};
use crate::i18n::*;
use crate::labels;
use crate::pages::cases::Pager;
use crate::pages::layout::{ErrorNote, fmt_time};
use domain::view::CallbackLine;
use domain::{CallOutcome, Rating, RatingChannel};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Callbacks() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let call = ServerAction::<RecordCall>::new();
    let close = ServerAction::<Perform>::new();
    let list = Resource::new(
        move || {
            (
                query.read().get("offset"),
                call.version().get(),
                close.version().get(),
            )
        },
        |(offset, ..)| callback_list(offset.and_then(|o| o.parse().ok())),
    );
    view! {
        <section class="callbacks">
            <h1>{t!(i18n, callback.title)}</h1>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(l) => view! { <CallbackTable l call close /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CallbackTable(
    l: CallbackQueue,
    call: ServerAction<RecordCall>,
    close: ServerAction<Perform>,
) -> impl IntoView {
    let i18n = use_i18n();
    let CallbackQueue { page, policy } = l;
    let (days, attempts) = (policy.after_days, policy.attempts);
    let (from, to) = page.range();
    let total = page.total;
    let (prev, next) = (
        (page.offset > 0).then(|| (page.offset - crate::api::CALLBACK_PAGE).max(0)),
        page.has_more().then_some(to),
    );
    let close_error = crate::pages::layout::last_error(close.value());
    view! {
        <p class="muted">{t!(i18n, callback.intro, days = move || days, attempts = move || attempts)}</p>
        {move || close_error.get().map(|e| view! { <ErrorNote error=e /> })}
        {if total == 0 {
            view! { <p class="empty" data-testid="callbacks-empty">{t!(i18n, callback.empty)}</p> }.into_any()
        } else {
            view! {
                <p class="count" data-testid="callbacks-range" data-total=total>
                    {t!(i18n, callback.range, from = move || from, to = move || to, total = move || total)}
                </p>
                <ol class="callback-list">
                    {page.items.into_iter().map(|line| view! { <CallbackItem line call close /> }).collect_view()}
                </ol>
                <Pager prev next />
            }
                .into_any()
        }}
    }
}

#[component]
fn CallbackItem(
    line: CallbackLine,
    call: ServerAction<RecordCall>,
    close: ServerAction<Perform>,
) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/cases/{}", line.code);
    let calls = line.calls;
    let code = line.code.clone();
    view! {
        <li class="card" data-code=line.code.clone()>
            <h2><A href=href>{line.title.clone()}</A> " " <span class="code">{line.code.clone()}</span></h2>
            <dl>
                <dt>{t!(i18n, field.category)}</dt>
                <dd>{line.category.clone()}</dd>
                <dt>{t!(i18n, callback.waiting_since)}</dt>
                <dd>{fmt_time(line.waiting_since)}</dd>
                <dt>{t!(i18n, field.result)}</dt>
                <dd>{line.result.clone().unwrap_or_default()}</dd>
                <dt>{t!(i18n, callback.resident)}</dt>
                <dd>{line.resident.clone()}</dd>
                <dt>{t!(i18n, callback.phone)}</dt>
                <dd><PhoneReveal code=line.code.clone() masked=line.phone.clone() /></dd>
                <dt>{t!(i18n, callback.calls)}</dt>
                <dd data-testid="calls">
                    {move || t_string!(i18n, callback.calls_made, n = calls.unanswered).to_string()}
                    {calls.concluded.then(|| view! { " · " {t!(i18n, callback.concluded)} })}
                </dd>
            </dl>
            <CallForm code=line.code.clone() call />
            {line.may_close.then(|| view! {
                <ActionForm action=close attr:class="action" attr:data-action="close_unrated">
                    <input type="hidden" name="code" value=code />
                    <input type="hidden" name="kind" value="close_unrated" />
                    <button type="submit">{t!(i18n, callback.close)}</button>
                </ActionForm>
            })}
        </li>
    }
}

/// The masked number, and the whole one once asked for (audited).
#[component]
fn PhoneReveal(code: String, masked: String) -> impl IntoView {
    let i18n = use_i18n();
    let reveal = ServerAction::<RevealPhone>::new();
    let code = StoredValue::new(code);
    let masked = StoredValue::new(masked);
    let value = reveal.value();
    view! {
        {move || match value.get() {
            Some(Ok(phone)) => {
                let tel = format!("tel:{phone}");
                view! { <a href=tel data-testid="phone">{phone}</a> }.into_any()
            }
            Some(Err(e)) => view! { <ErrorNote error=e /> }.into_any(),
            None => view! {
                <span data-testid="phone-masked">{masked.get_value()}</span>
                " "
                <ActionForm action=reveal attr:class="inline">
                    <input type="hidden" name="code" value=code.get_value() />
                    <button type="submit" class="link" title=move || t_string!(i18n, callback.reveal_note).to_string()>
                        {t!(i18n, callback.reveal)}
                    </button>
                </ActionForm>
            }
                .into_any(),
        }}
    }
}

/// Records one call: no answer, a wrong number, a refusal, or the rating
/// the resident gave on the phone or in person.
#[component]
pub fn CallForm(code: String, call: ServerAction<RecordCall>) -> impl IntoView {
    let i18n = use_i18n();
    let error = crate::pages::layout::last_error(call.value());
    let unanswered = CallOutcome::ALL.map(|o| {
        view! {
            <label class="choice">
                <input type="radio" name="outcome" value=o.as_str() required />
                {move || labels::call_outcome(i18n.get_locale(), o)}
            </label>
        }
    });
    let rated = [
        Rating::Satisfied,
        Rating::FairlySatisfied,
        Rating::Dissatisfied,
    ]
    .map(|r| {
        view! {
            <label class="choice">
                <input type="radio" name="outcome" value=r.as_str() required />
                {move || labels::rating(i18n.get_locale(), r)}
            </label>
        }
    });
    view! {
        <ActionForm action=call attr:class="action call-form" attr:data-action="record_call">
            <input type="hidden" name="code" value=code />
            <fieldset>
                <legend>{t!(i18n, callback.outcome)}</legend>
                {unanswered.into_iter().collect_view()}
                {rated.into_iter().collect_view()}
            </fieldset>
            <label>
                {t!(i18n, callback.via)}
                <select name="via">
                    {[RatingChannel::Callback, RatingChannel::Session].into_iter().map(|c| view! {
                        <option value=c.as_str()>{move || labels::channel(i18n.get_locale(), c)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, callback.note)}
                <textarea name="note" rows="2" maxlength="2000"></textarea>
            </label>
            {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
            <button type="submit">{t!(i18n, callback.record)}</button>
        </ActionForm>
    }
}
