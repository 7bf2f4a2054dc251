//! The live case board: five columns, one per step, updated as cases change
//! anywhere, without reloading.

use crate::api::{board_column, filter_options, get_board, perform};
use crate::i18n::*;
use crate::labels;
use crate::pages::case::CaseLoader;
use crate::pages::layout::{DeadlineBadge, ErrorNote};
use crate::pages::pickers::{
    CategoryOptions, ChoiceOptions, FilterCheck, FilterSearch, FilterSelect, in_query,
};
use domain::case::RawAction;
use domain::view::{BoardData, BoardQuery, CaseFilter, CaseSummary, FilterChoices};
use domain::{Source, Step};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

const COLUMNS: [Step; 5] = [
    Step::Register,
    Step::Consolidate,
    Step::Handle,
    Step::Feedback,
    Step::Rate,
];

/// A card on the board: its data and whether it just changed.
#[derive(Clone, Copy)]
struct Card {
    data: RwSignal<CaseSummary>,
    flash: RwSignal<bool>,
}

#[component]
pub fn Board() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let board_query = move || BoardQuery {
        step: get("step"),
        category: get("category"),
        unit: get("unit"),
        station: get("station"),
        region: get("region"),
        overdue: get("overdue").is_some(),
        escalated: get("escalated").is_some(),
        recurring: get("recurring").is_some(),
        q: get("q"),
        mine: get("mine").is_some(),
    };
    let data = Resource::new(
        board_query,
        |q| async move { (get_board(q.clone()).await, q) },
    );
    let options = Resource::new(
        move || get("region").and_then(|r| r.parse::<i64>().ok()),
        filter_options,
    );
    view! {
        <section class="board-page">
            <h1>{t!(i18n, board.title)}</h1>
            <form method="get" action="/board" class="filters">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        options.await.ok().map(|o| {
                            let FilterChoices { stations, areas, categories, units } = o;
                            view! {
                            <FilterSelect name="station" label=move || t!(i18n, field.station)>
                                <ChoiceOptions choices=stations chosen=in_query("station") />
                            </FilterSelect>
                            <FilterSelect name="region" label=move || t!(i18n, board.area)>
                                <ChoiceOptions choices=areas chosen=in_query("region") />
                            </FilterSelect>
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
                <FilterCheck name="overdue">{t!(i18n, field.overdue)}</FilterCheck>
                <FilterCheck name="escalated">{t!(i18n, board.escalated_only)}</FilterCheck>
                <FilterCheck name="recurring">{t!(i18n, board.recurring_only)}</FilterCheck>
                <FilterSearch />
                <button type="submit">{t!(i18n, cases.filter)}</button>
            </form>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    let units = options.await.map(|o| o.units).unwrap_or_default();
                    match data.await {
                        (Err(e), _) => view! { <ErrorNote error=e /> }.into_any(),
                        (Ok(d), query) => view! { <BoardView d query units /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn BoardView(d: BoardData, query: BoardQuery, units: Vec<domain::view::Named>) -> impl IntoView {
    let i18n = use_i18n();
    let query = StoredValue::new(query);
    let counts = RwSignal::new(d.counts);
    let page_size = d.page_size;
    let cards: RwSignal<Vec<(String, Card)>> = RwSignal::new(
        d.cards
            .into_iter()
            .map(|c| {
                (
                    c.code.clone(),
                    Card {
                        data: RwSignal::new(c),
                        flash: RwSignal::new(false),
                    },
                )
            })
            .collect(),
    );
    let outside = RwSignal::new(0u32);
    let live = RwSignal::new(false);
    // Counts are exact over everything that matches, not only the cards
    // loaded: after live changes the board asks for them again (one request
    // at a time, once more if changes arrived meanwhile).
    let counting = RwSignal::new(false);
    let recount = RwSignal::new(false);
    let refresh_counts = move || {
        if counting.get_untracked() {
            recount.set(true);
            return;
        }
        counting.set(true);
        leptos::task::spawn_local(async move {
            loop {
                recount.set(false);
                if let Ok(c) = crate::api::board_counts(query.get_value()).await {
                    counts.set(c);
                }
                if !recount.get_untracked() {
                    break;
                }
            }
            counting.set(false);
        });
    };
    follow(
        d.filter,
        d.last_event_id,
        cards,
        outside,
        live,
        refresh_counts,
    );
    // A column's next page, added after the cards it already shows.
    let loading_more: RwSignal<Option<Step>> = RwSignal::new(None);
    let more = move |step: Step, shown: usize| {
        loading_more.set(Some(step));
        leptos::task::spawn_local(async move {
            let page =
                board_column(query.get_value(), step.as_str().to_string(), shown as i64).await;
            if let Ok(page) = page {
                cards.update(|cs| {
                    for c in page.items {
                        if !cs.iter().any(|(code, _)| *code == c.code) {
                            let card = Card {
                                data: RwSignal::new(c.clone()),
                                flash: RwSignal::new(false),
                            };
                            cs.push((c.code, card));
                        }
                    }
                });
            }
            loading_more.set(None);
        });
    };
    // The case open in the side panel, the card being dragged, and why a drop was refused.
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    let dragging: RwSignal<Option<String>> = RwSignal::new(None);
    let refusal: RwSignal<Option<String>> = RwSignal::new(None);
    let actors = StoredValue::new(d.actors);
    // Cards picked for a bulk action, and what the last one did.
    let picked: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let bulk_result: RwSignal<Option<String>> = RwSignal::new(None);
    let unit_choice = RwSignal::new(units.first().map(|u| u.id.to_string()).unwrap_or_default());
    let class_choice = RwSignal::new("ordinary".to_string());
    let run_bulk = move |kind: domain::ActionKind| {
        let codes = picked.get_untracked();
        let (unit, class) = (unit_choice.get_untracked(), class_choice.get_untracked());
        leptos::task::spawn_local(async move {
            let (mut done, mut refused) = (0, 0);
            for code in codes {
                let (unit_id, class) = if kind == domain::ActionKind::Assign {
                    (unit.clone(), class.clone())
                } else {
                    Default::default()
                };
                let form = RawAction {
                    code,
                    kind: kind.as_str().to_string(),
                    unit_id,
                    class,
                    ..Default::default()
                };
                match perform(form).await {
                    Ok(()) => done += 1,
                    Err(_) => refused += 1,
                }
            }
            picked.set(Vec::new());
            let result = td_string!(
                i18n.get_locale(),
                board.bulk_result,
                done = done,
                refused = refused
            );
            bulk_result.set(Some(result.to_string()));
        });
    };
    let drop_on = move |step: Step| {
        let Some(code) = dragging.get_untracked() else {
            return;
        };
        dragging.set(None);
        let Some(status) = cards.with_untracked(|cs| {
            cs.iter()
                .find(|(c, _)| *c == code)
                .map(|(_, card)| card.data.with_untracked(|d| d.status))
        }) else {
            return;
        };
        if status.step() == step {
            return;
        }
        match domain::case::drag_action(status, step, &actors.get_value()) {
            None => refusal.set(Some(
                td_string!(i18n.get_locale(), board.refused).to_string(),
            )),
            Some(kind) => {
                refusal.set(None);
                leptos::task::spawn_local(async move {
                    let form = RawAction {
                        code,
                        kind: kind.as_str().to_string(),
                        ..Default::default()
                    };
                    if let Err(e) = perform(form).await {
                        refusal.set(Some(labels::error(i18n.get_locale(), &e)));
                    }
                });
            }
        }
    };

    let open = move || counts.with(|c| c.open);
    let overdue = move || counts.with(|c| c.overdue);
    let escalated = move || counts.with(|c| c.escalated);
    let closed = move || counts.with(|c| c.closed);
    let satisfaction = move || {
        let figures = counts.with(|c| domain::view::AreaStats {
            rated: c.rated,
            satisfied: c.satisfied,
            ..Default::default()
        });
        figures
            .satisfaction_rate()
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "—".into())
    };
    view! {
        <dl class="strip">
            <div><dt>{t!(i18n, board.open)}</dt><dd data-testid="open-count">{open}</dd></div>
            <div><dt>{t!(i18n, board.overdue)}</dt><dd data-testid="overdue-count">{overdue}</dd></div>
            <div><dt>{t!(i18n, board.escalated)}</dt><dd data-testid="escalated-count">{escalated}</dd></div>
            <div><dt>{t!(i18n, board.closed_month)}</dt><dd>{closed}</dd></div>
            <div><dt>{t!(i18n, stats.satisfaction_rate)}</dt><dd>{satisfaction}</dd></div>
            <div class="live" data-live=move || live.get().to_string()>
                <dt>{t!(i18n, board.live)}</dt>
                <dd>{move || if live.get() { "●" } else { "○" }}</dd>
            </div>
            <div>
                <dt>{t!(i18n, board.outside)}</dt>
                <dd data-testid="outside-count">{move || outside.get()}</dd>
            </div>
        </dl>
        {move || refusal.get().map(|r| view! { <p class="error board-alert" role="alert" data-testid="refusal">{r}</p> })}
        {move || bulk_result.get().map(|r| view! { <p class="board-note" role="status" data-testid="bulk-result">{r}</p> })}
        <Show when=move || picked.with(|p| !p.is_empty())>
            <div class="bulk" data-testid="bulk">
                <strong>{t!(i18n, board.picked, n = move || picked.with(|p| p.len()))}</strong>
                <label>
                    {t!(i18n, field.unit)}
                    <select name="bulk_unit" on:change=move |ev| unit_choice.set(event_target_value(&ev))>
                        {units.iter().map(|u| view! { <option value=u.id.to_string()>{u.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, field.class)}
                    <select name="bulk_class" on:change=move |ev| class_choice.set(event_target_value(&ev))>
                        {[domain::DeadlineClass::Ordinary, domain::DeadlineClass::Complex, domain::DeadlineClass::Urgent].into_iter().map(|c| view! {
                            <option value=c.as_str()>{move || labels::class(i18n.get_locale(), c)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" data-testid="bulk-assign" on:click=move |_| run_bulk(domain::ActionKind::Assign)>{t!(i18n, board.bulk_assign)}</button>
                <button type="button" data-testid="bulk-feedback" on:click=move |_| run_bulk(domain::ActionKind::RecordFeedback)>{t!(i18n, board.bulk_feedback)}</button>
                <button type="button" class="link" on:click=move |_| picked.set(Vec::new())>{t!(i18n, board.clear)}</button>
            </div>
        </Show>
        <div class="board" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                selected.set(None);
            }
        }>
            {COLUMNS.into_iter().map(|step| {
                let codes = Memo::new(move |_| {
                    let mut v: Vec<(bool, chrono::DateTime<chrono::Utc>, String)> = cards.with(|cs| {
                        cs.iter()
                            .filter_map(|(code, c)| c.data.with(|d| (d.step == step).then(|| (d.is_overdue(), d.created_at, code.clone()))))
                            .collect()
                    });
                    // Overdue first, then oldest first: what waits longest comes first.
                    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                    v.into_iter().map(|(_, _, code)| code).collect::<Vec<_>>()
                });
                view! {
                    <section class="column" data-step=step.as_str()
                        on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                        on:drop=move |ev: leptos::ev::DragEvent| {
                            ev.prevent_default();
                            drop_on(step);
                        }>
                        <h2>
                            {move || labels::step(i18n.get_locale(), step)}
                            " "
                            <span class="count" data-testid="column-count">{move || counts.with(|c| c.in_step(step))}</span>
                        </h2>
                        <ol>
                            <For each=move || codes.get() key=|code| code.clone() let:code>
                                {cards.with_untracked(|cs| cs.iter().find(|(c, _)| *c == code).map(|(_, card)| view! { <CardView card=*card selected dragging picked /> }))}
                            </For>
                        </ol>
                        {move || {
                            let shown = codes.with(|c| c.len());
                            let total = counts.with(|c| c.in_step(step));
                            (i64::try_from(shown).unwrap_or(0) < total).then(|| view! {
                                <p class="column-more">
                                    <span data-testid="column-shown">
                                        {move || td_string!(i18n.get_locale(), board.shown, shown = shown, total = total).to_string()}
                                    </span>
                                    " "
                                    <button type="button" data-testid="column-more"
                                        disabled=move || loading_more.get().is_some()
                                        on:click=move |_| more(step, shown)>
                                        {move || td_string!(i18n.get_locale(), board.more, n = page_size.min(total - shown as i64)).to_string()}
                                    </button>
                                </p>
                            })
                        }}
                    </section>
                }
            }).collect_view()}
        </div>
        {move || selected.get().map(|code| view! {
            <aside class="panel" data-testid="panel" aria-label=move || td_string!(i18n.get_locale(), board.panel).to_string()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        selected.set(None);
                    }
                }>
                <button type="button" class="close" data-testid="close-panel" on:click=move |_| selected.set(None)>
                    {t!(i18n, board.close)}
                </button>
                <CaseLoader code=code />
            </aside>
        })}
    }
}

#[component]
fn CardView(
    card: Card,
    selected: RwSignal<Option<String>>,
    dragging: RwSignal<Option<String>>,
    picked: RwSignal<Vec<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let d = card.data;
    let code = move || d.with(|c| c.code.clone());
    let href = move || format!("/cases/{}", code());
    view! {
        <li class="card-item" class:flash=move || card.flash.get() class:overdue=move || d.with(|c| c.is_overdue())
            class:selected=move || selected.get() == Some(code())
            tabindex="0" draggable="true"
            data-code=code data-status=move || d.with(|c| c.status.as_str())
            on:dragstart=move |_| dragging.set(Some(code()))
            on:click=move |_| selected.set(Some(code()))
            on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                "Enter" | " " => {
                    ev.prevent_default();
                    selected.set(Some(code()));
                }
                "ArrowDown" | "ArrowUp" | "ArrowLeft" | "ArrowRight" => {
                    ev.prevent_default();
                    move_focus(&ev);
                }
                _ => {}
            }>
            <label class="pick" on:click=|ev| ev.stop_propagation()>
                <input type="checkbox" data-testid="pick"
                    prop:checked=move || picked.with(|p| p.contains(&code()))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        picked.update(|p| {
                            p.retain(|c| *c != code());
                            if on {
                                p.push(code());
                            }
                        });
                    } />
                <span class="code">{code}</span>
            </label>
            <strong class="title">{move || d.with(|c| c.title.clone())}</strong>
            <A href=href attr:class="open-page" on:click=|ev| ev.stop_propagation()>{t!(i18n, board.open_page)}</A>
            <span class="sub">{move || labels::status(i18n.get_locale(), d.with(|c| c.status))}</span>
            <span class="meta">{move || d.with(|c| format!("{} · {}", c.place, c.category))}</span>
            <span class="meta">{move || d.with(|c| c.unit.clone().unwrap_or_default())}</span>
            {move || d.with(|c| c.deadline.clone()).map(|dl| view! { <DeadlineBadge deadline=Some(dl) /> })}
            <span class="meta" data-testid="age">
                {move || {
                    let (age, due) = d.with(|c| (c.age_days, c.due_in_hours));
                    let l = i18n.get_locale();
                    let age = td_string!(l, board.age, days = age).to_string();
                    match due {
                        Some(h) if h < 0 => format!("{age} · {}", td_string!(l, board.late_by, time = span(l, -h))),
                        Some(h) => format!("{age} · {}", td_string!(l, board.left, time = span(l, h))),
                        None => age,
                    }
                }}
            </span>
            {move || d.with(|c| c.rating).map(|r| view! { <span class="rating">{labels::rating(i18n.get_locale(), r)}</span> })}
            {move || (d.with(|c| c.source) == Source::StationSession).then(|| view! { <span class="tag">{t!(i18n, source.station_session)}</span> })}
            {move || d.with(|c| c.escalated).then(|| view! { <span class="tag escalated" data-testid="escalated" title=move || td_string!(i18n.get_locale(), board.escalated_hint).to_string()>{t!(i18n, board.escalated)}</span> })}
            {move || d.with(|c| c.recurs.clone()).map(|earlier| view! {
                <span class="tag recurring" data-testid="recurring"
                    title=move || td_string!(i18n.get_locale(), board.recurring_hint, code = earlier.clone()).to_string()>
                    {t!(i18n, board.recurring)}
                </span>
            })}
            {move || (d.with(|c| c.letters) > 0).then(|| view! { <span class="tag supervised" data-testid="supervised">{t!(i18n, board.letters)} " " {d.with(|c| c.letters)}</span> })}
        </li>
    }
}

/// A countdown's length: days from two days on, hours below.
fn span(l: Locale, hours: i64) -> String {
    if hours >= 48 {
        td_string!(l, board.days, n = hours / 24).to_string()
    } else {
        td_string!(l, board.hours, n = hours).to_string()
    }
}

#[cfg(feature = "hydrate")]
/// Applies a live change: update or add the card, or drop it when it left
/// the filter; a change outside the filter only bumps a counter.
fn apply(
    cards: RwSignal<Vec<(String, Card)>>,
    outside: RwSignal<u32>,
    filter: &CaseFilter,
    ev: domain::view::BoardEvent,
) {
    let card = ev.card;
    let code = card.code.clone();
    let existing =
        cards.with_untracked(|cs| cs.iter().find(|(c, _)| *c == code).map(|(_, card)| *card));
    match (existing, filter.matches(&card)) {
        (Some(c), true) => {
            c.data.set(card);
            flash(c);
        }
        (None, true) => {
            let c = Card {
                data: RwSignal::new(card),
                flash: RwSignal::new(false),
            };
            cards.update(|cs| cs.push((code, c)));
            flash(c);
        }
        (Some(_), false) => cards.update(|cs| cs.retain(|(c, _)| *c != code)),
        (None, false) => outside.update(|n| *n += 1),
    }
}

#[cfg(feature = "hydrate")]
fn flash(card: Card) {
    card.flash.set(true);
    set_timeout(
        move || card.flash.set(false),
        std::time::Duration::from_millis(1500),
    );
}

/// Follows the server's event stream from `since`; the browser's EventSource
/// reconnects by itself with `Last-Event-ID`, and a stream the browser gave up
/// on is reopened from the last event seen.
#[cfg(feature = "hydrate")]
fn follow(
    filter: CaseFilter,
    since: i64,
    cards: RwSignal<Vec<(String, Card)>>,
    outside: RwSignal<u32>,
    live: RwSignal<bool>,
    changed: impl Fn() + Clone + 'static,
) {
    use send_wrapper::SendWrapper;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    type Handlers = (
        Closure<dyn FnMut(MessageEvent)>,
        Closure<dyn FnMut(web_sys::Event)>,
        Closure<dyn FnMut(web_sys::Event)>,
        Closure<dyn FnMut(web_sys::Event)>,
    );
    struct Stream {
        source: Option<EventSource>,
        handlers: Option<Handlers>,
        last: i64,
        closed: bool,
    }
    let state = Rc::new(RefCell::new(Stream {
        source: None,
        handlers: None,
        last: since,
        closed: false,
    }));

    fn open(
        state: Rc<RefCell<Stream>>,
        filter: CaseFilter,
        cards: RwSignal<Vec<(String, Card)>>,
        outside: RwSignal<u32>,
        live: RwSignal<bool>,
        changed: impl Fn() + Clone + 'static,
    ) {
        let last = state.borrow().last;
        let Ok(source) = EventSource::new(&format!("/api/board/events?since={last}")) else {
            return;
        };
        let on_case = {
            let state = state.clone();
            let filter = filter.clone();
            let changed = changed.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                if let Ok(ev) = serde_json::from_str::<domain::view::BoardEvent>(&text) {
                    state.borrow_mut().last = ev.id;
                    apply(cards, outside, &filter, ev);
                    changed();
                }
            })
        };
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.set(true));
        let on_error = {
            let state = state.clone();
            let filter = filter.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                live.set(false);
                let gave_up = state
                    .borrow()
                    .source
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == EventSource::CLOSED);
                if gave_up && !state.borrow().closed {
                    let (state, filter, changed) = (state.clone(), filter.clone(), changed.clone());
                    set_timeout(
                        move || open(state, filter, cards, outside, live, changed),
                        std::time::Duration::from_secs(2),
                    );
                }
            })
        };
        // A board that fell too far behind to replay reloads itself.
        let on_reload = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let _ = window().location().reload();
        });
        let _ = source.add_event_listener_with_callback("case", on_case.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("reload", on_reload.as_ref().unchecked_ref());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut s = state.borrow_mut();
        if let Some(old) = s.source.replace(source) {
            old.close();
        }
        s.handlers = Some((on_case, on_open, on_error, on_reload));
    }

    Effect::new({
        let state = state.clone();
        move |_| {
            open(
                state.clone(),
                filter.clone(),
                cards,
                outside,
                live,
                changed.clone(),
            )
        }
    });
    let state = SendWrapper::new(state);
    on_cleanup(move || {
        let mut s = state.borrow_mut();
        s.closed = true;
        if let Some(source) = s.source.take() {
            source.close();
        }
        s.handlers = None;
    });
}

/// Arrow keys move between cards: up and down within a column, left and
/// right to the first card of the neighbouring column.
#[cfg(feature = "hydrate")]
fn move_focus(ev: &leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Some(card) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let next = match ev.key().as_str() {
        "ArrowDown" => card.next_element_sibling(),
        "ArrowUp" => card.previous_element_sibling(),
        key => {
            let column = card.closest("section.column").ok().flatten();
            let neighbour = column.and_then(|c| {
                if key == "ArrowRight" {
                    c.next_element_sibling()
                } else {
                    c.previous_element_sibling()
                }
            });
            neighbour.and_then(|n| n.query_selector("li.card-item").ok().flatten())
        }
    };
    if let Some(el) = next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn move_focus(_: &leptos::ev::KeyboardEvent) {}

#[cfg(not(feature = "hydrate"))]
fn follow(
    _: CaseFilter,
    _: i64,
    _: RwSignal<Vec<(String, Card)>>,
    _: RwSignal<u32>,
    _: RwSignal<bool>,
    _: impl Fn() + Clone + 'static,
) {
}
