//! Case lists: the community's cases with filters, and a unit's inbox.

use crate::api::{filter_options, list_cases};
use crate::i18n::*;
use crate::labels;
use crate::pages::data_table::DataTable;
use crate::pages::layout::{DeadlineBadge, ErrorNote, fmt_time};
use crate::pages::pickers::{
    CategoryOptions, ChoiceOptions, FilterCheck, FilterSearch, FilterSelect, in_query,
};
use domain::Step;
use domain::view::CaseSummary;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CaseList() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let cases = Resource::new(
        move || {
            (
                get("step"),
                get("category"),
                get("unit"),
                get("overdue").is_some(),
                get("q"),
                get("mine").is_some(),
                get("offset").and_then(|o| o.parse::<i64>().ok()),
            )
        },
        |(step, category, unit, overdue, q, mine, offset)| {
            list_cases(step, category, unit, overdue, q, mine, offset)
        },
    );
    let options = Resource::new(|| (), |_| filter_options(None));
    view! {
        <section>
            <h1>{t!(i18n, cases.title)}</h1>
            <form method="get" action="/cases" class="filters">
                <FilterSelect name="step" label=move || t!(i18n, field.step)>
                    {Step::ALL.into_iter().map(|s| {
                        let chosen = in_query("step");
                        view! {
                            <option value=s.as_str() selected=move || chosen.get().as_deref() == Some(s.as_str())>
                                {move || labels::step(i18n.get_locale(), s)}
                            </option>
                        }
                    }).collect_view()}
                </FilterSelect>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        options.await.ok().map(|o| {
                            let (categories, units) = (o.categories, o.units);
                            view! {
                            <FilterSelect name="category" label=move || t!(i18n, field.category)>
                                <CategoryOptions categories chosen=in_query("category") />
                            </FilterSelect>
                            <FilterSelect name="unit" label=move || t!(i18n, field.unit)>
                                <ChoiceOptions choices=units chosen=in_query("unit") />
                            </FilterSelect>
                            }
                        })
                    })}
                </Suspense>
                <FilterCheck name="mine">{t!(i18n, field.mine)}</FilterCheck>
                <FilterCheck name="overdue">{t!(i18n, field.overdue)}</FilterCheck>
                <FilterSearch />
                <button type="submit">{t!(i18n, cases.filter)}</button>
            </form>
            <CaseTable cases />
        </section>
    }
}

/// A handler's inbox: what their unit must act on.
#[component]
pub fn Inbox() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let cases = Resource::new(
        move || get("offset"),
        move |_| {
            let offset = get("offset").and_then(|o| o.parse::<i64>().ok());
            list_cases(
                Some("handle".into()),
                None,
                None,
                false,
                None,
                false,
                offset,
            )
        },
    );
    view! {
        <section>
            <h1>{t!(i18n, inbox.title)}</h1>
            <CaseTable cases />
        </section>
    }
}

#[component]
fn CaseTable(
    cases: Resource<Result<domain::view::Page<CaseSummary>, crate::error::AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match cases.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(page) if page.total == 0 => view! { <p class="empty">{t!(i18n, cases.empty)}</p> }.into_any(),
                    Ok(page) => {
                        let (from, to) = page.range();
                        let total = page.total;
                        let (prev, next) = (
                            (page.offset > 0).then(|| (page.offset - crate::api::CASES_PAGE).max(0)),
                            page.has_more().then_some(to),
                        );
                        view! {
                            <p class="count" data-testid="cases-range" data-total=total>
                                {t!(i18n, cases.range, from = move || from, to = move || to, total = move || total)}
                            </p>
                            <SummaryTable list=page.items />
                            <Pager prev next />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Links to the neighbouring pages, keeping the list's other filters.
#[component]
pub fn Pager(prev: Option<i64>, next: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let location = leptos_router::hooks::use_location();
    let href = move |offset: i64| {
        let mut q = query.get_untracked();
        q.replace("offset", offset.to_string());
        format!(
            "{}{}",
            location.pathname.get_untracked(),
            q.to_query_string()
        )
    };
    view! {
        <p class="pager">
            {prev.map(|o| view! { <A href=href(o) attr:data-testid="cases-prev">{t!(i18n, cases.prev)}</A> })}
            " "
            {next.map(|o| view! { <A href=href(o) attr:data-testid="cases-next">{t!(i18n, cases.next)}</A> })}
        </p>
    }
}

/// Cases as a table: code, title, state and rating, place, category, unit,
/// deadline, registration time.
#[component]
pub fn SummaryTable(list: Vec<CaseSummary>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <DataTable kind="cases" head=move || view! {
            <th scope="col">{t!(i18n, cases.code)}</th>
            <th scope="col">{t!(i18n, field.title)}</th>
            <th scope="col">{t!(i18n, field.step)}</th>
            <th scope="col">{t!(i18n, cases.place)}</th>
            <th scope="col">{t!(i18n, field.category)}</th>
            <th scope="col">{t!(i18n, field.unit)}</th>
            <th scope="col">{t!(i18n, cases.deadline)}</th>
            <th scope="col">{t!(i18n, cases.created)}</th>
        }>
            {list.into_iter().map(|c| {
                let href = format!("/cases/{}", c.code);
                let status = c.status;
                let rating = c.rating;
                let via = c.rated_via.filter(|v| *v != domain::RatingChannel::Online);
                let code = c.code.clone();
                view! {
                    <tr data-code=code>
                        <td><A href=href>{c.code.clone()}</A></td>
                        <td>{c.title.clone()}</td>
                        <td>
                            {move || labels::status(i18n.get_locale(), status)}
                            {move || rating.map(|r| format!(" · {}", labels::rating(i18n.get_locale(), r)))}
                            {move || via.map(|v| format!("（{}）", labels::channel(i18n.get_locale(), v)))}
                        </td>
                        <td>{c.place.clone()}</td>
                        <td>{c.category.clone()}</td>
                        <td>{c.unit.clone().unwrap_or_default()}</td>
                        <td><DeadlineBadge deadline=c.deadline.clone() /></td>
                        <td>{fmt_time(c.created_at)}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
