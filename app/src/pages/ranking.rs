//! The monthly ranking of responsible units (红黑榜) with the definition of
//! every rate, for leaders and the supervision office.

use crate::api::get_unit_ranking;
use crate::i18n::*;
use crate::pages::data_table::DataTable;
use crate::pages::layout::ErrorNote;
use crate::pages::stats::rate;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Ranking() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let month = move || query.read().get("month").filter(|m| !m.is_empty());
    let ranking = Resource::new(month, get_unit_ranking);
    view! {
        <section class="ranking">
            <h1>{t!(i18n, ranking.title)}</h1>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match ranking.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(r) => {
                            let (red, black) = (r.red.clone(), r.black.clone());
                            view! {
                                <form method="get" action="/ranking" class="filters">
                                    <label>
                                        {t!(i18n, ranking.month)}
                                        <input type="month" name="month" value=r.month.clone() />
                                    </label>
                                    <button type="submit">{t!(i18n, audit.show)}</button>
                                    " "
                                    <a href=format!("/ranking.csv?month={}", r.month) download data-testid="csv">{t!(i18n, ranking.csv)}</a>
                                </form>
                                <DataTable kind="ranking-table" head=move || view! {
                                    <th scope="col">{t!(i18n, ranking.unit)}</th>
                                    <th scope="col">{t!(i18n, ranking.assigned)}</th>
                                    <th scope="col">{t!(i18n, ranking.acknowledgement)}</th>
                                    <th scope="col">{t!(i18n, ranking.on_time)}</th>
                                    <th scope="col">{t!(i18n, ranking.returns)}</th>
                                    <th scope="col">{t!(i18n, ranking.rework)}</th>
                                    <th scope="col">{t!(i18n, ranking.satisfaction)}</th>
                                    <th scope="col">{t!(i18n, ranking.score)}</th>
                                    <th scope="col">{t!(i18n, ranking.list)}</th>
                                }>
                                    {r.units.into_iter().map(|u| {
                                        let list = if red.contains(&u.unit_id) {
                                            "red"
                                        } else if black.contains(&u.unit_id) {
                                            "black"
                                        } else {
                                            ""
                                        };
                                        view! {
                                            <tr data-unit=u.name.clone() data-list=list>
                                                <td>{u.name.clone()}</td>
                                                <td>{u.assigned}</td>
                                                <td>{rate(u.acknowledgement_rate())}</td>
                                                <td>{rate(u.on_time_rate())}</td>
                                                <td>{rate(u.return_rate())}</td>
                                                <td>{rate(u.rework_rate())}</td>
                                                <td>{rate(u.satisfaction_rate())}</td>
                                                <td data-testid="score">{u.score().map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                <td>{move || match list {
                                                    "red" => t_string!(i18n, ranking.red),
                                                    "black" => t_string!(i18n, ranking.black),
                                                    _ => "",
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </DataTable>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <section class="card definitions">
                <h2>{t!(i18n, ranking.definitions)}</h2>
                <ul>
                    <li>{t!(i18n, ranking.def_cohort)}</li>
                    <li>{t!(i18n, ranking.def_acknowledgement)}</li>
                    <li>{t!(i18n, ranking.def_on_time)}</li>
                    <li>{t!(i18n, ranking.def_returns)}</li>
                    <li>{t!(i18n, ranking.def_rework)}</li>
                    <li>{t!(i18n, ranking.def_satisfaction)}</li>
                    <li>{t!(i18n, ranking.def_score)}</li>
                </ul>
            </section>
        </section>
    }
}
