//! The grid view (网格视图): the region tree as a table with the figures of
//! every node, and a heat table of open cases by grid or compound and
//! category; every figure drills down to the board filtered to it.

use crate::api::get_grid;
use crate::i18n::*;
use crate::pages::layout::ErrorNote;
use crate::pages::stats::rate;
use domain::view::GridView;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Grid() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let view_of = Resource::new(move || query.read().get("node"), get_grid);
    view! {
        <section class="grid-view">
            <h1>{t!(i18n, grid.title)}</h1>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match view_of.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(v) => view! { <GridTables v /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="hint">{t!(i18n, grid.definitions)}</p>
        </section>
    }
}

/// How hot a cell is, relative to the hottest one.
fn heat_class(n: i64, max: i64) -> &'static str {
    match (n, n * 4 / max.max(1)) {
        (0, _) => "heat0",
        (_, 0) => "heat1",
        (_, 1) => "heat2",
        (_, 2) => "heat3",
        _ => "heat4",
    }
}

#[component]
fn GridTables(v: GridView) -> impl IntoView {
    let i18n = use_i18n();
    let max = v
        .heat
        .iter()
        .flat_map(|h| h.cells.iter().copied())
        .max()
        .unwrap_or(0);
    let categories = v.categories.clone();
    view! {
        <nav class="trail" aria-label="breadcrumb">
            {v.trail.into_iter().map(|n| view! { <A href=format!("/grid?node={}", n.id)>{n.name}</A> " › " }).collect_view()}
        </nav>
        <div class="scroll">
            <table class="figures grid-tree" data-testid="grid-tree">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, field.region)}</th>
                        <th scope="col">{t!(i18n, grid.open)}</th>
                        <th scope="col">{t!(i18n, grid.overdue)}</th>
                        <th scope="col">{t!(i18n, grid.closed_this_month)}</th>
                        <th scope="col">{t!(i18n, stats.satisfaction_rate)}</th>
                        <th scope="col">{t!(i18n, grid.low_tier)}</th>
                    </tr>
                </thead>
                <tbody>
                    {v.rows.into_iter().map(|r| {
                        let board = format!("/board?region={}", r.id);
                        let overdue = format!("/board?region={}&overdue=1", r.id);
                        let (satisfaction, low_tier) = (rate(r.satisfaction_rate()), rate(r.low_tier_share()));
                        let name = r.name.clone();
                        view! {
                            <tr data-node=r.id data-level=r.level.clone()>
                                <th scope="row" style=format!("padding-left: {}rem", 0.7 + r.depth as f64 * 1.2)>
                                    <A href=format!("/grid?node={}", r.id)>{name}</A>
                                </th>
                                <td><A href=board>{r.open}</A></td>
                                <td><A href=overdue>{r.overdue}</A></td>
                                <td>{r.closed_this_month}</td>
                                <td>{satisfaction}</td>
                                <td>{low_tier}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <section class="card">
            <h2>{t!(i18n, grid.heat)}</h2>
            <div class="scroll">
                <table class="figures heat" data-testid="heat">
                    <thead>
                        <tr>
                            <th scope="col"></th>
                            {categories.iter().map(|c| view! { <th scope="col">{c.name.clone()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {v.heat.into_iter().map(|h| {
                            let node = h.id;
                            view! {
                                <tr data-node=node>
                                    <th scope="row">{h.name.clone()}</th>
                                    {h.cells.into_iter().zip(categories.clone()).map(|(n, c)| view! {
                                        <td class=heat_class(n, max) data-category=c.id data-count=n>
                                            {(n > 0).then(|| view! { <A href=format!("/board?region={node}&category={}", c.id)>{n}</A> })}
                                        </td>
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// `/grid/mine`: a grid worker's visits and the open cases of their grid.
#[component]
pub fn MyGridPage() -> impl IntoView {
    let i18n = use_i18n();
    let page = Resource::new(|| (), |_| crate::api::my_grid());
    view! {
        <section class="my-grid">
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(g) => view! {
                            <h1>{t!(i18n, grid.mine_title)} " · " {g.grid.clone()}</h1>
                            <p><a href="/intake">{t!(i18n, nav.intake)}</a></p>
                            <h2>{t!(i18n, grid.pending)} " (" {g.pending.len()} ")"</h2>
                            <div data-testid="grid-pending"><crate::pages::cases::SummaryTable list=g.pending /></div>
                            <h2>{t!(i18n, grid.registered)} " (" {g.registered.len()} ")"</h2>
                            <div data-testid="grid-registered"><crate::pages::cases::SummaryTable list=g.registered /></div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
