//! A supervision letter (督办函), laid out to print on A4.

use crate::api::get_letter;
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, fmt_time};
use domain::view::Letter;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn LetterPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let letter = Resource::new(id, get_letter);
    view! {
        <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match letter.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(l) => view! { <LetterView l /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LetterView(l: Letter) -> impl IntoView {
    let i18n = use_i18n();
    let cp = l.checkpoint;
    view! {
        <article class="letter" data-testid="letter">
            <header>
                <p class="office">{l.office.clone()}</p>
                <h1>{t!(i18n, letter.title)}</h1>
                <p class="number" data-testid="letter-number">{l.number.clone()}</p>
            </header>
            <p class="to">{t!(i18n, letter.to)} " " <strong data-testid="letter-unit">{l.unit.clone().unwrap_or_default()}</strong> "："</p>
            <p>{t!(i18n, letter.intro)}</p>
            <dl>
                <dt>{t!(i18n, letter.case)}</dt>
                <dd><strong>{l.title.clone()}</strong> "（" {l.case_code.clone()} "）"</dd>
                <dt>{t!(i18n, field.description)}</dt>
                <dd>{l.description.clone()}</dd>
                <dt>{t!(i18n, letter.place)}</dt>
                <dd>{l.place.clone()}</dd>
                <dt>{t!(i18n, letter.missed)}</dt>
                <dd data-testid="letter-checkpoint">{move || labels::checkpoint(i18n.get_locale(), cp)}</dd>
                <dt>{t!(i18n, letter.due)}</dt>
                <dd>{fmt_time(l.due)}</dd>
                <dt>{t!(i18n, letter.demand)}</dt>
                <dd data-testid="letter-demand">{l.demand.clone()}</dd>
                <dt>{t!(i18n, letter.reply_by)}</dt>
                <dd data-testid="letter-reply-by">{fmt_time(l.reply_by)}</dd>
            </dl>
            <footer>
                <p>{l.office.clone()}</p>
                <p>{t!(i18n, letter.issued_by)} " " {l.issued_by.clone()}</p>
                <p>{fmt_time(l.issued_at)}</p>
            </footer>
            <p class="no-print"><button type="button" onclick="window.print()">{t!(i18n, letter.print)}</button></p>
        </article>
    }
}
