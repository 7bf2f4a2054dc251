//! The audit trail of a case or of a user, for administrators and supervisors.

use crate::api::get_audit;
use crate::i18n::*;
use crate::pages::data_table::DataTable;
use crate::pages::layout::ErrorNote;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Audit() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let view = Resource::new(move || (get("case"), get("user")), |(c, u)| get_audit(c, u));
    view! {
        <section class="audit">
            <h1>{t!(i18n, audit.title)}</h1>
            <form method="get" action="/audit" class="filters">
                <label>
                    {t!(i18n, audit.case)}
                    <input type="text" name="case" value=move || get("case").unwrap_or_default() />
                </label>
                <label>
                    {t!(i18n, audit.user)}
                    <input type="text" name="user" value=move || get("user").unwrap_or_default() />
                </label>
                <button type="submit">{t!(i18n, audit.show)}</button>
            </form>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match view.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(v) => view! {
                            {match (v.intact, v.broken_at) {
                                (Some(n), _) => view! {
                                    <p class="board-note" data-testid="chain" data-intact="true">{t!(i18n, audit.intact, n = n)}</p>
                                }.into_any(),
                                (_, broken) => view! {
                                    <p class="error" role="alert" data-testid="chain" data-intact="false">
                                        {t!(i18n, audit.broken, id = broken.unwrap_or_default())}
                                    </p>
                                }.into_any(),
                            }}
                            <DataTable kind="audit-log" head=move || view! {
                                <th scope="col">"#"</th>
                                <th scope="col">{t!(i18n, audit.at)}</th>
                                <th scope="col">{t!(i18n, audit.actor)}</th>
                                <th scope="col">{t!(i18n, audit.action)}</th>
                                <th scope="col">{t!(i18n, audit.subject)}</th>
                                <th scope="col">{t!(i18n, audit.before)}</th>
                                <th scope="col">{t!(i18n, audit.after)}</th>
                            }>
                                {v.entries.into_iter().map(|e| {
                                    let kind = e.action.clone();
                                    view! {
                                    <tr data-testid="audit-entry" data-action=kind>
                                        <td>{e.id}</td>
                                        <td>{e.at}</td>
                                        <td>{e.actor}</td>
                                        <td>{e.action}</td>
                                        <td>{format!("{} {}", e.entity, e.entity_id)}</td>
                                        <td><code>{e.before.unwrap_or_default()}</code></td>
                                        <td><code>{e.after.unwrap_or_default()}</code></td>
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
