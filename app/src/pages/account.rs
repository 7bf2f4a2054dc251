//! The signed-in user's own account: password, sessions and mail.

use crate::api::{ChangePassword, SaveMailSettings, SignOutEverywhere, get_mail_settings};
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
                        Ok(Some(u)) => {
                            // Only those with cases waiting for them get a digest of them.
                            let mail = !u.must_change_password && !u.role.to_do().is_empty();
                            view! {
                                <p class="who">{u.display_name.clone()} " · " {u.username.clone()}</p>
                                <Show when=move || u.must_change_password>
                                    <p class="notice" role="alert" data-testid="must-change">
                                        {t!(i18n, account.must_change)}
                                    </p>
                                </Show>
                                {mail.then(|| view! { <MailCard /> })}
                            }.into_any()
                        }
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

/// The address for reminders and the daily digest.
#[component]
fn MailCard() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveMailSettings>::new();
    let error = last_error(save.value());
    let saved = move || save.value().with(|v| matches!(v, Some(Ok(()))));
    let current = Resource::new(|| (), |_| get_mail_settings());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let settings = current.await.unwrap_or_default();
                view! {
                    <ActionForm action=save attr:class="card" attr:data-testid="mail-settings">
                        <h2>{t!(i18n, account.mail_title)}</h2>
                        <p class="hint">{t!(i18n, account.mail_hint)}</p>
                        <label>
                            {t!(i18n, account.email)}
                            <input type="email" name="email" autocomplete="email" maxlength="254"
                                value=settings.email.clone() />
                        </label>
                        {field_error(error, "email")}
                        <label class="check">
                            <input type="checkbox" name="digest" value="true" checked=settings.digest />
                            {t!(i18n, account.digest)}
                        </label>
                        <button type="submit">{t!(i18n, account.mail_save)}</button>
                        <Show when=saved>
                            <span class="ok" role="status" data-testid="mail-saved">{t!(i18n, account.mail_saved)}</span>
                        </Show>
                    </ActionForm>
                }
            })}
        </Suspense>
    }
}
