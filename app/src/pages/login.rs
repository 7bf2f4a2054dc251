use crate::api::Login as LoginFn;
use crate::i18n::*;
use crate::pages::layout::{field_error, last_error};
use leptos::prelude::*;

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<LoginFn>::new();
    let value = last_error(login.value());
    view! {
        <section class="card narrow">
            <h1>{t!(i18n, login.title)}</h1>
            <ActionForm action=login>
                <label>
                    {t!(i18n, login.username)}
                    <input type="text" name="username" autocomplete="username" required />
                </label>
                <label>
                    {t!(i18n, login.password)}
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                {field_error(value, "password")}
                <button type="submit">{t!(i18n, login.submit)}</button>
            </ActionForm>
        </section>
    }
}
