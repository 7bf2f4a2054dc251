//! The supervision ledger (台账) and the three lists (三清单): filters,
//! one page of lines, and the XLSX/CSV exports with a progress bar. Its
//! headings and cells come from `crate::tables`, as the exports' do.

use crate::api::{LedgerPage, filter_options, get_ledger};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::ErrorNote;
use crate::pages::pickers::{CategoryOptions, ChoiceOptions, FilterSelect};
use crate::tables::{cell, heading, list_title};
use domain::ledger::{Column, List, RawFilter, StateFilter};
use domain::{Route, Source};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

fn raw_filter(q: &leptos_router::params::ParamsMap) -> RawFilter {
    RawFilter {
        list: q.get("list"),
        region: q.get("region"),
        unit: q.get("unit"),
        category: q.get("category"),
        source: q.get("source"),
        route: q.get("route"),
        from: q.get("from"),
        to: q.get("to"),
        state: q.get("state"),
    }
}

#[component]
pub fn Ledger() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| raw_filter(&query.read()));
    let page = Resource::new(
        move || {
            (
                filter.get(),
                query.read().get("before"),
                query.read().get("first"),
            )
        },
        |(f, before, first)| get_ledger(f, before, first),
    );
    let options = Resource::new(
        move || {
            filter
                .read()
                .region
                .as_deref()
                .and_then(|r| r.parse::<i64>().ok())
        },
        filter_options,
    );
    view! {
        <section class="ledger">
            <nav class="tabs">
                {List::ALL.into_iter().map(|list| {
                    let href = move || {
                        let mut f = filter.get();
                        f.list = Some(list.as_str().into());
                        format!("/ledger?{}", f.query())
                    };
                    view! { <A href=href attr:data-list=list.as_str()>{move || list_title(i18n.get_locale(), list)}</A> }
                }).collect_view()}
            </nav>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let o = options.await.ok();
                    view! { <Filters f=filter.get_untracked() options=o /> }
                })}
            </Transition>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(p) => view! { <LedgerTable p f=filter.get_untracked() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Filters(f: RawFilter, options: Option<domain::view::FilterChoices>) -> impl IntoView {
    let i18n = use_i18n();
    let o = options.unwrap_or_default();
    let chosen = |v: &Option<String>, x: String| v.as_deref() == Some(x.as_str());
    view! {
        <form method="get" action="/ledger" class="filters" data-testid="ledger-filters">
            <input type="hidden" name="list" value=f.list.clone().unwrap_or_default() />
            <FilterSelect name="region" label=move || t!(i18n, field.region)>
                <ChoiceOptions choices=o.areas chosen=Signal::stored(f.region.clone()) />
            </FilterSelect>
            <FilterSelect name="unit" label=move || t!(i18n, field.unit)>
                <ChoiceOptions choices=o.units chosen=Signal::stored(f.unit.clone()) />
            </FilterSelect>
            <FilterSelect name="category" label=move || t!(i18n, field.category)>
                <CategoryOptions categories=o.categories chosen=Signal::stored(f.category.clone()) />
            </FilterSelect>
            <FilterSelect name="source" label=move || t!(i18n, field.source)>
                {Source::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=chosen(&f.source, s.as_str().into())>{move || labels::source(i18n.get_locale(), s)}</option>
                }).collect_view()}
            </FilterSelect>
            <FilterSelect name="route" label=move || t!(i18n, field.route)>
                {Route::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=chosen(&f.route, r.as_str().into())>{move || labels::route(i18n.get_locale(), r)}</option>
                }).collect_view()}
            </FilterSelect>
            <FilterSelect name="state" label=move || t!(i18n, field.status)>
                {StateFilter::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=chosen(&f.state, s.as_str().into())>{move || match s {
                        StateFilter::Open => t_string!(i18n, ledger.state_open),
                        StateFilter::Overdue => t_string!(i18n, ledger.state_overdue),
                        StateFilter::Closed => t_string!(i18n, ledger.state_closed),
                    }}</option>
                }).collect_view()}
            </FilterSelect>
            <label>{t!(i18n, ledger.from)} <input type="date" name="from" value=f.from.clone().unwrap_or_default() /></label>
            <label>{t!(i18n, ledger.to)} <input type="date" name="to" value=f.to.clone().unwrap_or_default() /></label>
            <button type="submit">{t!(i18n, audit.show)}</button>
        </form>
    }
}

#[component]
fn LedgerTable(p: LedgerPage, f: RawFilter) -> impl IntoView {
    let i18n = use_i18n();
    let list = p.list;
    let cols = list.columns();
    let query = f.query();
    let next = p.next.map(|id| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!(
            "/ledger?{query}{sep}before={id}&first={}",
            p.first + p.lines.len()
        )
    });
    let first = p.first;
    view! {
        <h1>{move || list_title(i18n.get_locale(), list)}</h1>
        <p class="headline" data-testid="ledger-total" data-total=p.total>
            {move || t_string!(i18n, ledger.total, n = p.total).to_string()}
        </p>
        <Export query=query.clone() total=p.total />
        <div class="scroll">
            <table class="figures ledger-table" data-testid="ledger-table" data-list=list.as_str()>
                <thead>
                    <tr>{cols.iter().map(|c| {
                        let c = *c;
                        view! { <th scope="col">{move || heading(i18n.get_locale(), c)}</th> }
                    }).collect_view()}</tr>
                </thead>
                <tbody>
                    {p.lines.into_iter().enumerate().map(|(i, line)| {
                        let code = line.code.clone();
                        view! {
                            <tr data-code=code.clone()>
                                {cols.iter().map(|c| {
                                    let c = *c;
                                    let l = line.clone();
                                    if c == Column::Code {
                                        let href = format!("/cases/{}", l.code);
                                        view! { <td><A href=href>{l.code.clone()}</A></td> }.into_any()
                                    } else {
                                        view! { <td>{move || cell(i18n.get_locale(), c, first + i, &l).into_owned()}</td> }.into_any()
                                    }
                                }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {next.map(|href| view! { <p><a href=href data-testid="ledger-next">{t!(i18n, ledger.next)}</a></p> })}
    }
}

/// The export links. With JavaScript the file is fetched here and a
/// progress bar follows it; without it the links are plain downloads.
#[component]
fn Export(query: String, total: i64) -> impl IntoView {
    let i18n = use_i18n();
    let progress: crate::download::Progress = RwSignal::new(None);
    let sep = if query.is_empty() { "" } else { "?" };
    let xlsx = format!("/ledger.xlsx{sep}{query}");
    let csv = format!("/ledger.csv{sep}{query}");
    let start = move |href: String, ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        crate::download::with_progress(href, total, progress);
    };
    let (x2, c2) = (xlsx.clone(), csv.clone());
    view! {
        <p class="export">
            <a href=xlsx download data-testid="ledger-xlsx" on:click=move |ev| start(x2.clone(), ev)>{t!(i18n, ledger.xlsx)}</a>
            " "
            <a href=csv download data-testid="ledger-csv" on:click=move |ev| start(c2.clone(), ev)>{t!(i18n, ranking.csv)}</a>
            {move || progress.get().map(|(done, all, finished)| {
                let pct = (done * 100).checked_div(all).unwrap_or(0);
                view! {
                    <span class="progress" data-testid="export-progress" data-finished=finished.to_string()>
                        " "
                        <progress max="100" value=pct></progress>
                        " "
                        {move || if finished {
                            t_string!(i18n, ledger.exported).to_string()
                        } else {
                            t_string!(i18n, ledger.progress, pct = pct).to_string()
                        }}
                    </span>
                }
            })}
        </p>
    }
}
