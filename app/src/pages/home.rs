use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="hero">
            <h1>{t!(i18n, home.title)}</h1>
            <p>{t!(i18n, home.intro)}</p>
            <div class="choices">
                <A href="/report" attr:class="button">{t!(i18n, home.report)}</A>
                <A href="/track" attr:class="button">{t!(i18n, home.resident)}</A>
                <A href="/stats" attr:class="button secondary">{t!(i18n, home.stats)}</A>
                <A href="/login" attr:class="button secondary">{t!(i18n, home.staff)}</A>
            </div>
        </section>
    }
}
