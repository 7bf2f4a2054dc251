//! The signed-in user's own account: password and sessions.

use crate::api::{ChangePassword, SignOutEverywhere};
use crate::i18n::*;
use crate::pages::layout::{ErrorNote, SignedIn, field_error, last_error};
use leptos::prelude::*;

#[component]
pub fn Account() -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let error = last_error(change.value());
    let me = expect_context::<SignedIn>().0;
    view! {
        <section class="account narrow">
            <h1>{t!(i18n, account.title)}</h1>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(u)) => view! {
                            <p class="who">{u.display_name.clone()} " · " {u.username.clone()}</p>
                            <Show when=move || u.must_change_password>
                                <p class="notice" role="alert" data-testid="must-change">
                                    {t!(i18n, account.must_change)}
                                </p>
                            </Show>
                        }.into_any(),
                        Ok(None) => view! { <ErrorNote error=crate::error::AppError::Unauthorized /> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=change attr:class="card" attr:data-testid="change-password">
                <h2>{t!(i18n, account.change)}</h2>
                <label>
                    {t!(i18n, account.old_password)}
                    <input type="password" name="old_password" autocomplete="current-password" required />
                </label>
                {field_error(error, "old_password")}
                <label>
                    {t!(i18n, account.new_password)}
                    <input type="password" name="new_password" autocomplete="new-password" minlength="10" required />
                </label>
                {field_error(error, "new_password")}
                <label>
                    {t!(i18n, account.repeat_password)}
                    <input type="password" name="repeat_password" autocomplete="new-password" minlength="10" required />
                </label>
                {field_error(error, "repeat_password")}
                <button type="submit">{t!(i18n, account.save)}</button>
            </ActionForm>
            <ActionForm action=everywhere attr:class="card" attr:data-testid="sign-out-everywhere">
                <h2>{t!(i18n, account.everywhere_title)}</h2>
                <p class="hint">{t!(i18n, account.everywhere_hint)}</p>
                <button type="submit">{t!(i18n, account.everywhere)}</button>
            </ActionForm>
        </section>
    }
}
