//! Statistics for supervisors and leaders: the eight figures of a period by
//! unit, station, community, grid, category, leader or month, as an SVG
//! chart, a table and a CSV download, with the definition of every rate.

use crate::api::get_figures;
use crate::i18n::*;
use crate::pages::layout::ErrorNote;
use crate::tables::dimension_label;
use domain::figures::{Dimension, Group, Report};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Figures() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let report = Resource::new(
        move || {
            let q = query.read();
            (q.get("by"), q.get("from"), q.get("to"))
        },
        |(by, from, to)| get_figures(by, from, to),
    );
    view! {
        <section class="figures-page">
            <h1>{t!(i18n, figures.title)}</h1>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(r) => view! { <ReportView r /> }.into_any(),
                    }
                })}
            </Transition>
            <section class="card definitions">
                <h2>{t!(i18n, ranking.definitions)}</h2>
                <ul>
                    <li>{t!(i18n, figures.def_collected)}</li>
                    <li>{t!(i18n, figures.def_closure)}</li>
                    <li>{t!(i18n, figures.def_on_time)}</li>
                    <li>{t!(i18n, figures.def_acknowledgement)}</li>
                    <li>{t!(i18n, figures.def_returns)}</li>
                    <li>{t!(i18n, figures.def_rework)}</li>
                    <li>{t!(i18n, figures.def_satisfaction)}</li>
                    <li>{t!(i18n, figures.def_leader)}</li>
                    <li>{t!(i18n, figures.def_heard_by)}</li>
                </ul>
            </section>
        </section>
    }
}

#[component]
fn ReportView(r: Report) -> impl IntoView {
    let i18n = use_i18n();
    let by = r.dimension;
    let csv = format!(
        "/figures.csv?by={}&from={}&to={}",
        by.as_str(),
        r.from,
        r.to
    );
    let total = r.total.row();
    view! {
        <form method="get" action="/figures" class="filters">
            <label>
                {t!(i18n, figures.by)}
                <select name="by">
                    {Dimension::ALL.into_iter().map(|d| view! {
                        <option value=d.as_str() selected=d == by>{move || dimension_label(i18n.get_locale(), d)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{t!(i18n, figures.from)} <input type="month" name="from" value=r.from.clone() /></label>
            <label>{t!(i18n, figures.to)} <input type="month" name="to" value=r.to.clone() /></label>
            <button type="submit">{t!(i18n, audit.show)}</button>
            " "
            <a href=csv download data-testid="figures-csv">{t!(i18n, ranking.csv)}</a>
        </form>
        <section class="card">
            <h2 id="figures-chart">{move || dimension_label(i18n.get_locale(), by)}</h2>
            {if by == Dimension::Month {
                view! { <TrendLines groups=r.groups.clone() /> }.into_any()
            } else {
                view! { <Bars groups=r.groups.clone() /> }.into_any()
            }}
            <table class="figures" data-testid="figures-table" data-by=by.as_str()>
                <thead>
                    <tr>
                        <th scope="col">{move || dimension_label(i18n.get_locale(), by)}</th>
                        <th scope="col">{t!(i18n, stats.collected)}</th>
                        <th scope="col">{t!(i18n, stats.closed)}</th>
                        <th scope="col">{t!(i18n, stats.closure_rate)}</th>
                        <th scope="col">{t!(i18n, stats.on_time_rate)}</th>
                        <th scope="col">{t!(i18n, ranking.acknowledgement)}</th>
                        <th scope="col">{t!(i18n, ranking.returns)}</th>
                        <th scope="col">{t!(i18n, ranking.rework)}</th>
                        <th scope="col">{t!(i18n, stats.satisfaction_rate)}</th>
                        <th scope="col">{t!(i18n, figures.rated_by)}</th>
                    </tr>
                </thead>
                <tbody>
                    {r.groups.into_iter().map(|g| view! {
                        <tr data-group=g.name.clone()>
                            <th scope="row">{g.name.clone()}</th>
                            {g.figures.row().into_iter().map(|c| view! { <td>{c.to_string()}</td> }).collect_view()}
                            <td>{rated_by(&g.figures)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr data-group="total">
                        <th scope="row">{t!(i18n, figures.total)}</th>
                        {total.into_iter().map(|c| view! { <td>{c.to_string()}</td> }).collect_view()}
                        <td>{rated_by(&r.total)}</td>
                    </tr>
                </tfoot>
            </table>
        </section>
    }
}

/// The ratings of a group by channel: "12 / 3 / 5" (online, in person, callback).
fn rated_by(f: &domain::figures::Figures) -> String {
    f.rated_by
        .split(f.rated)
        .map(|(_, n)| n.to_string())
        .join(" / ")
}

const W: i64 = 640;
/// Bars beyond this many groups are left to the table.
const MAX_BARS: usize = 15;

/// Collected and closed per group as paired horizontal bars, largest first.
#[component]
fn Bars(groups: Vec<Group>) -> impl IntoView {
    let i18n = use_i18n();
    let shown: Vec<Group> = groups.into_iter().take(MAX_BARS).collect();
    let max = shown
        .iter()
        .map(|g| g.figures.collected)
        .max()
        .unwrap_or(0)
        .max(1);
    let row = 30;
    let h = row * shown.len().max(1) as i64;
    let room = W - 240;
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {h}") role="img" aria-labelledby="figures-chart">
            {shown.iter().enumerate().map(|(i, g)| {
                let y = i as i64 * row;
                let wc = g.figures.collected * room / max;
                let wd = g.figures.closed * room / max;
                view! {
                    <g>
                        <text x="0" y=y + 18>{g.name.chars().take(10).collect::<String>()}</text>
                        <rect class="collected" x="170" y=y + 3 width=wc height="11">
                            <title>{format!("{} {}", g.name, g.figures.collected)}</title>
                        </rect>
                        <rect class="closed" x="170" y=y + 15 width=wd height="11">
                            <title>{format!("{} {}", g.name, g.figures.closed)}</title>
                        </rect>
                        <text x=176 + wc y=y + 13>{g.figures.collected}</text>
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

/// Closure, on-time and satisfaction rates month by month as lines (a month
/// without a figure breaks the line).
#[component]
fn TrendLines(groups: Vec<Group>) -> impl IntoView {
    let i18n = use_i18n();
    let (h, base, top) = (220_i64, 190_i64, 10_i64);
    let n = groups.len().max(1) as i64;
    let step = W / n;
    let x = move |i: usize| i as i64 * step + step / 2;
    let y = move |p: u32| base - i64::from(p.min(100)) * (base - top) / 100;
    let line = |rate: fn(&domain::figures::Figures) -> Option<u32>| {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, g) in groups.iter().enumerate() {
            match rate(&g.figures) {
                Some(p) => {
                    d.push_str(&format!(
                        "{}{},{} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(p)
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    };
    let closure = line(|f| f.closure_rate());
    let on_time = line(|f| f.on_time_rate());
    let satisfaction = line(|f| f.satisfaction_rate());
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {h}") role="img" aria-labelledby="figures-chart">
            <line x1="0" y1=base x2=W y2=base class="axis" />
            <line x1="0" y1=top x2=W y2=top class="grid" />
            <text x="2" y=top + 12>"100%"</text>
            <path class="line closure" d=closure fill="none" />
            <path class="line on-time" d=on_time fill="none" />
            <path class="line satisfaction" d=satisfaction fill="none" />
            {groups.iter().enumerate().map(|(i, g)| view! {
                <text x=x(i) y=base + 16 text-anchor="middle">{g.name.get(5..).unwrap_or_default().to_string()}</text>
            }).collect_view()}
        </svg>
        <p class="legend">
            <span class="swatch closure"></span>{t!(i18n, stats.closure_rate)}
            " "
            <span class="swatch on-time"></span>{t!(i18n, stats.on_time_rate)}
            " "
            <span class="swatch satisfaction"></span>{t!(i18n, stats.satisfaction_rate)}
        </p>
    }
}
