//! Public statistics: what was collected and closed, on time and how it was
//! rated, per area; a monthly trend and the main categories, each as an SVG
//! chart and as a table.

use crate::api::get_public_stats;
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, fmt_time};
use domain::RatingChannel;
use domain::view::{AreaStats, CategoryStats, MonthStats, PublicStats};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// How many ratings came by each channel: "网上评价 12 当面评价 3 …".
#[component]
pub(crate) fn RatedByLine(counts: [(RatingChannel, i64); 3]) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="muted rated-by" data-testid="rated-by">
            {t!(i18n, stats.rated_by)}
            {counts.into_iter().map(|(via, n)| view! {
                <span class="tally" data-via=via.as_str()>
                    {move || labels::channel(i18n.get_locale(), via)} " " {n}
                </span>
                " "
            }).collect_view()}
        </p>
    }
}

/// A rate as printed: "83%", or a dash without a figure.
pub(crate) fn rate(r: Option<u32>) -> String {
    r.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())
}

#[component]
pub fn Stats() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let stats = Resource::new(move || query.read().get("region"), get_public_stats);
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(s) => view! { <StatsView s /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StatsView(s: PublicStats) -> impl IntoView {
    let i18n = use_i18n();
    let t = s.total.clone();
    let (collected, closed) = (t.collected, t.closed);
    let trail = s.trail.clone();
    view! {
        <section class="stats">
            <nav class="trail" aria-label="breadcrumb">
                {trail.into_iter().map(|n| view! {
                    <A href=format!("/stats?region={}", n.id)>{n.name.clone()}</A>
                    " › "
                }).collect_view()}
            </nav>
            <h1>{t.name.clone()} " · " {t!(i18n, stats.title)}</h1>
            <p class="headline" data-testid="headline">
                {t!(i18n, stats.headline, collected = move || collected, closed = move || closed)}
            </p>
            <dl class="kpis">
                <div><dt>{t!(i18n, stats.closure_rate)}</dt><dd>{rate(t.closure_rate())}</dd></div>
                <div><dt>{t!(i18n, stats.on_time_rate)}</dt><dd>{rate(t.on_time_rate())}</dd></div>
                <div><dt>{t!(i18n, stats.satisfaction_rate)}</dt><dd>{rate(t.satisfaction_rate())}</dd></div>
            </dl>
            <RatedByLine counts=t.rated_by.split(t.rated) />
            <p class="hint">{t!(i18n, stats.definitions)}</p>
            {(!s.areas.is_empty()).then(|| view! { <AreaTable areas=s.areas.clone() /> })}
            <section class="card">
                <h2 id="trend">{t!(i18n, stats.trend)}</h2>
                <TrendChart months=s.months.clone() />
                <MonthTable months=s.months.clone() />
            </section>
            <section class="card">
                <h2 id="categories">{t!(i18n, stats.categories)}</h2>
                <CategoryChart categories=s.top_categories.clone() />
            </section>
            <section class="card">
                <h2>{t!(i18n, stats.recent)}</h2>
                <ul class="recent">
                    {s.recently_closed.iter().map(|c| {
                        let rating = c.rating;
                        view! {
                            <li>
                                <time>{fmt_time(c.closed_at)}</time>
                                " · " {c.place.clone()} " · " {c.category.clone()} " · "
                                <strong>{c.title.clone()}</strong>
                                {move || rating.map(|r| format!(" · {}", labels::rating(i18n.get_locale(), r)))}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </section>
    }
}

#[component]
fn AreaTable(areas: Vec<AreaStats>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, stats.areas)}</h2>
            <table class="figures">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, stats.area)}</th>
                        <th scope="col">{t!(i18n, stats.collected)}</th>
                        <th scope="col">{t!(i18n, stats.closed)}</th>
                        <th scope="col">{t!(i18n, stats.closure_rate)}</th>
                        <th scope="col">{t!(i18n, stats.on_time_rate)}</th>
                        <th scope="col">{t!(i18n, stats.satisfaction_rate)}</th>
                    </tr>
                </thead>
                <tbody>
                    {areas.into_iter().map(|a| {
                        let rates = [rate(a.closure_rate()), rate(a.on_time_rate()), rate(a.satisfaction_rate())];
                        view! {
                            <tr>
                                <th scope="row"><A href=format!("/stats?region={}", a.region_id)>{a.name}</A></th>
                                <td>{a.collected}</td>
                                <td>{a.closed}</td>
                                {rates.into_iter().map(|r| view! { <td>{r}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

const W: i64 = 640;
const H: i64 = 220;
const BASE: i64 = 190;

/// Collected and closed per month as paired bars.
#[component]
fn TrendChart(months: Vec<MonthStats>) -> impl IntoView {
    let i18n = use_i18n();
    let max = months
        .iter()
        .map(|m| m.collected.max(m.closed))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = W / months.len().max(1) as i64;
    let height = move |v: i64| v * (BASE - 20) / max;
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby="trend">
            <line x1="0" y1=BASE x2=W y2=BASE class="axis" />
            {months.iter().enumerate().map(|(i, m)| {
                let x = i as i64 * slot + slot / 6;
                let bar = slot / 3;
                let (hc, hd) = (height(m.collected), height(m.closed));
                let label = m.month.get(5..).unwrap_or_default().to_string();
                view! {
                    <g>
                        <rect class="collected" x=x y=BASE - hc width=bar height=hc>
                            <title>{format!("{} {}", m.month, m.collected)}</title>
                        </rect>
                        <rect class="closed" x=x + bar y=BASE - hd width=bar height=hd>
                            <title>{format!("{} {}", m.month, m.closed)}</title>
                        </rect>
                        <text x=x + bar y=BASE + 16 text-anchor="middle">{label}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
        <p class="legend">
            <span class="swatch collected"></span>{t!(i18n, stats.collected)}
            " "
            <span class="swatch closed"></span>{t!(i18n, stats.closed)}
        </p>
    }
}

#[component]
fn MonthTable(months: Vec<MonthStats>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <table class="figures">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, stats.month)}</th>
                    <th scope="col">{t!(i18n, stats.collected)}</th>
                    <th scope="col">{t!(i18n, stats.closed)}</th>
                </tr>
            </thead>
            <tbody>
                {months.into_iter().map(|m| view! {
                    <tr><th scope="row">{m.month}</th><td>{m.collected}</td><td>{m.closed}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The main categories as horizontal bars, then as a table.
#[component]
fn CategoryChart(categories: Vec<CategoryStats>) -> impl IntoView {
    let i18n = use_i18n();
    let max = categories.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    let row = 28;
    let h = row * categories.len().max(1) as i64;
    let names = categories.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {h}") role="img" aria-labelledby="categories">
            {categories.iter().enumerate().map(|(i, c)| {
                let y = i as i64 * row;
                let w = c.count * (W - 220) / max;
                let zh = c.name_zh.clone();
                let en = c.name_en.clone();
                view! {
                    <g>
                        <text x="0" y=y + 18>{move || if i18n.get_locale() == Locale::zh { zh.clone() } else { en.clone() }}</text>
                        <rect class="collected" x="160" y=y + 4 width=w height=row - 8 />
                        <text x=170 + w y=y + 18>{c.count}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
        <table class="figures">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, field.category)}</th>
                    <th scope="col">{t!(i18n, stats.collected)}</th>
                </tr>
            </thead>
            <tbody>
                {names.into_iter().map(|c| {
                    let (zh, en) = (c.name_zh.clone(), c.name_en.clone());
                    view! {
                        <tr>
                            <th scope="row">{move || if i18n.get_locale() == Locale::zh { zh.clone() } else { en.clone() }}</th>
                            <td>{c.count}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
