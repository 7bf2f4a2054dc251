//! Administration: keys of Open311 clients.

use crate::api::{CreateApiKey, RevokeApiKey, list_api_keys};
use crate::i18n::*;
use crate::pages::data_table::DataTable;
use crate::pages::layout::{ErrorNote, fmt_time};
use leptos::prelude::*;

#[component]
pub fn ApiKeys() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let created = create.value();
    view! {
        <section class="admin-keys">
            <h1>{t!(i18n, keys.title)}</h1>
            <p class="hint">{t!(i18n, keys.intro)}</p>
            <ActionForm action=create attr:class="card inline-form" attr:data-testid="create-key">
                <label>
                    {t!(i18n, keys.name)}
                    <input type="text" name="name" maxlength="60" required />
                </label>
                <button type="submit">{t!(i18n, keys.create)}</button>
            </ActionForm>
            {move || created.get().map(|r| match r {
                Ok(key) => view! {
                    <div class="card new-key" role="status">
                        <p>{t!(i18n, keys.once)}</p>
                        <output data-testid="new-key">{key}</output>
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
            })}
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) => view! {
                            <DataTable kind="keys" head=move || view! {
                                <th scope="col">{t!(i18n, keys.name)}</th>
                                <th scope="col">{t!(i18n, keys.created)}</th>
                                <th scope="col">{t!(i18n, keys.last_used)}</th>
                                <th scope="col">{t!(i18n, keys.state)}</th>
                            }>
                                {list.into_iter().map(|k| {
                                    let name = k.name.clone();
                                    view! {
                                        <tr data-key=k.name.clone()>
                                            <td>{k.name.clone()}</td>
                                            <td>{fmt_time(k.created_at)}</td>
                                            <td>{k.last_used_at.map(fmt_time).unwrap_or_else(|| "—".into())}</td>
                                            <td>
                                                {match k.revoked_at {
                                                    Some(at) => view! {
                                                        <span data-testid="revoked">{t!(i18n, keys.revoked)} " " {fmt_time(at)}</span>
                                                    }.into_any(),
                                                    None => view! {
                                                        <ActionForm action=revoke attr:class="inline">
                                                            <input type="hidden" name="name" value=name />
                                                            <button type="submit" data-testid="revoke">{t!(i18n, keys.revoke)}</button>
                                                        </ActionForm>
                                                    }.into_any(),
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
