//! Station sessions: the stations list, the deputy's brief with the
//! scheduling form, session mode, the station's public page and a leader's
//! own visits.

use crate::api::{
    AddCommitment, AttachMember, CloseSession, DeliverCommitment, RegisterAtSession,
    ScheduleSession, get_brief, get_public_station, get_session, intake_options, list_stations,
    my_visits, station_candidates,
};
use crate::i18n::*;
use crate::pages::cases::SummaryTable;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use crate::pages::pickers::CategoryOptions;
use crate::pages::stats::{RatedByLine, rate};
use domain::session::{Commitment, Delivery, SessionBrief};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

fn delivery_label(l: Locale, d: Delivery) -> String {
    match d {
        Delivery::Kept => td_string!(l, session.kept),
        Delivery::Late => td_string!(l, session.late),
        Delivery::Broken => td_string!(l, session.broken),
        Delivery::Pending => td_string!(l, session.pending),
    }
    .to_string()
}

/// One session as a line: when, where, who, and whether it was announced in time.
#[component]
fn SessionLine(s: SessionBrief) -> impl IntoView {
    let i18n = use_i18n();
    let people: Vec<String> = s.attendees.iter().map(|a| a.name.clone()).collect();
    view! {
        <li data-session=s.id data-status=s.status.as_str()>
            <A href=format!("/sessions/{}", s.id)>{fmt_time(s.starts_at)}</A>
            " · " {s.station.clone()}
            {(!s.topic.is_empty()).then(|| format!(" · {}", s.topic))}
            " · " {people.join("、")}
            {s.short_notice.then(|| view! { " " <span class="badge yellow" data-testid="short-notice">{t!(i18n, session.short_notice)}</span> })}
            {s.residents_present.map(|n| view! { " · " {move || t_string!(i18n, session.present, n = n).to_string()} })}
        </li>
    }
}

#[component]
fn Commitments(list: Vec<Commitment>, can_deliver: bool) -> impl IntoView {
    let i18n = use_i18n();
    let deliver = ServerAction::<DeliverCommitment>::new();
    view! {
        <table class="figures" data-testid="commitments">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, session.by)}</th>
                    <th scope="col">{t!(i18n, session.commitment)}</th>
                    <th scope="col">{t!(i18n, session.due_on)}</th>
                    <th scope="col">{t!(i18n, field.code)}</th>
                    <th scope="col">{t!(i18n, session.delivery)}</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|c| {
                    let d = c.delivery;
                    let manual = can_deliver && c.case_code.is_none() && c.delivered_on.is_none();
                    view! {
                        <tr data-delivery=d.as_str()>
                            <td>{c.by.clone()}</td>
                            <td>{c.text.clone()}</td>
                            <td>{c.due_on.to_string()}</td>
                            <td>{c.case_code.clone().map(|code| view! { <A href=format!("/cases/{code}")>{code.clone()}</A> })}</td>
                            <td>
                                {move || delivery_label(i18n.get_locale(), d)}
                                {manual.then(|| view! {
                                    <ActionForm action=deliver attr:class="inline">
                                        <input type="hidden" name="commitment" value=c.id />
                                        <button type="submit" class="link">{t!(i18n, session.mark_delivered)}</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The stations the reader may see, with their brief, public page and calendar.
#[component]
pub fn Stations() -> impl IntoView {
    let i18n = use_i18n();
    let stations = Resource::new(|| (), |_| list_stations());
    view! {
        <section>
            <h1>{t!(i18n, session.stations)}</h1>
            <p><A href="/visits">{t!(i18n, session.my_visits)}</A></p>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match stations.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) => view! {
                            <ul class="stations">
                                {list.into_iter().map(|s| {
                                    let id = s.station.id;
                                    view! {
                                        <li data-station=id>
                                            <strong>{s.station.name.clone()}</strong> " · "
                                            <A href=format!("/stations/{id}/brief")>{t!(i18n, session.brief)}</A> " · "
                                            <A href=format!("/stations/{id}")>{t!(i18n, session.public_page)}</A> " · "
                                            <a href=format!("/calendar/stations/{id}.ics")>{t!(i18n, session.calendar)}</a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The deputy's brief for the next session, with the scheduling form.
#[component]
pub fn BriefPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let station = move || params.read().get("id").unwrap_or_default();
    let schedule = ServerAction::<ScheduleSession>::new();
    let attach = ServerAction::<AttachMember>::new();
    let brief = Resource::new(
        move || (station(), schedule.version().get()),
        |(s, _)| get_brief(s),
    );
    let stations = Resource::new(move || attach.version().get(), |_| list_stations());
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                let members = stations
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .find(|s| s.station.id.to_string() == station())
                    .map(|s| s.members)
                    .unwrap_or_default();
                match brief.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(b) => {
                        let id = b.station_id;
                        let can_schedule = b.can_schedule;
                        view! {
                            <article class="brief" data-testid="brief">
                                <h1>{b.station.clone()} " · " {t!(i18n, session.brief)}</h1>
                                <section class="card">
                                    <h2>{t!(i18n, session.next)}</h2>
                                    {match b.next.clone() {
                                        Some(s) => view! { <ul data-testid="next-session"><SessionLine s /></ul> }.into_any(),
                                        None => view! { <p class="muted">{t!(i18n, session.none)}</p> }.into_any(),
                                    }}
                                    {b.last.clone().map(|s| view! {
                                        <h3>{t!(i18n, session.last)}</h3>
                                        <ul><SessionLine s /></ul>
                                    })}
                                    {can_schedule.then(|| view! {
                                        <ScheduleForm station=id members schedule />
                                        <AttachForm station=id attach />
                                    })}
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.raised)}</h2>
                                    <div data-testid="raised"><SummaryTable list=b.raised.clone() /></div>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.overdue)}</h2>
                                    <div data-testid="overdue"><SummaryTable list=b.overdue.clone() /></div>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.closed_since)}</h2>
                                    <RatedByLine counts=b.rated_by />
                                    <div data-testid="closed-since"><SummaryTable list=b.closed_since.clone() /></div>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.common)}</h2>
                                    <ul>
                                        {b.common.clone().into_iter().map(|(name, n)| view! { <li>{name} " · " {n}</li> }).collect_view()}
                                    </ul>
                                    <ul>
                                        {b.items.clone().into_iter().map(|item| view! {
                                            <li><A href=format!("/items/{}", item.id)>{item.title.clone()}</A></li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.commitments)}</h2>
                                    <Commitments list=b.commitments.clone() can_deliver=can_schedule />
                                </section>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ScheduleForm(
    station: i64,
    members: Vec<domain::view::Named>,
    schedule: ServerAction<ScheduleSession>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = last_error(schedule.value());
    let chosen = RwSignal::new(String::new());
    let toggle = move |id: i64, on: bool| {
        chosen.update(|list| {
            let mut ids: Vec<String> = list.split_whitespace().map(String::from).collect();
            ids.retain(|x| *x != id.to_string());
            if on {
                ids.push(id.to_string());
            }
            *list = ids.join(" ");
        })
    };
    view! {
        <ActionForm action=schedule attr:class="action" attr:data-action="schedule_session">
            <h3>{t!(i18n, session.schedule)}</h3>
            <input type="hidden" name="station" value=station />
            <label>
                {t!(i18n, session.starts_at)}
                <input type="datetime-local" name="starts_at" required />
            </label>
            {field_error(error, "starts_at")}
            <label>
                {t!(i18n, session.hours)}
                <input type="number" name="hours" min="1" max="12" value="2" required />
            </label>
            {field_error(error, "hours")}
            <label>
                {t!(i18n, session.topic)}
                <input type="text" name="topic" maxlength="100" />
            </label>
            <fieldset>
                <legend>{t!(i18n, session.attendees)}</legend>
                {members.into_iter().map(|m| {
                    let id = m.id;
                    view! {
                        <label data-member=id>
                            <input type="checkbox" on:change=move |ev| toggle(id, event_target_checked(&ev)) />
                            " " {m.name}
                        </label>
                    }
                }).collect_view()}
                <input type="hidden" name="attendees" prop:value=move || chosen.get() />
            </fieldset>
            {field_error(error, "attendees")}
            <p class="hint">{t!(i18n, session.notice_hint)}</p>
            <button type="submit">{t!(i18n, session.schedule)}</button>
        </ActionForm>
    }
}

/// Attaches a deputy or assigns a leader to the station.
#[component]
fn AttachForm(station: i64, attach: ServerAction<AttachMember>) -> impl IntoView {
    let i18n = use_i18n();
    let error = last_error(attach.value());
    let candidates = Resource::new(
        move || attach.version().get(),
        move |_| station_candidates(station.to_string()),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = candidates.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <ActionForm action=attach attr:class="action inline-form" attr:data-action="attach_member">
                        <input type="hidden" name="station" value=station />
                        <label>
                            {t!(i18n, session.attach)}
                            <select name="member">
                                {list.into_iter().map(|m| view! { <option value=m.id>{m.name}</option> }).collect_view()}
                            </select>
                        </label>
                        {field_error(error, "member")}
                        <button type="submit">{t!(i18n, session.attach_button)}</button>
                    </ActionForm>
                })
            })}
        </Transition>
    }
}

/// Session mode: register requests in a row, record commitments, close.
#[component]
pub fn SessionPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let register = ServerAction::<RegisterAtSession>::new();
    let commit = ServerAction::<AddCommitment>::new();
    let close = ServerAction::<CloseSession>::new();
    let session = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                register.version().get(),
                commit.version().get(),
                close.version().get(),
            )
        },
        |(id, ..)| get_session(id),
    );
    let options = Resource::new(|| (), |_| intake_options());
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                let o = options.await.ok();
                match session.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(d) => {
                        let b = d.brief.clone();
                        let people = b.attendees.clone();
                        let codes: Vec<String> = d.cases.iter().map(|c| c.code.clone()).collect();
                        view! {
                            <article class="session" data-testid="session" data-status=b.status.as_str()>
                                <h1>{b.station.clone()} " · " {fmt_time(b.starts_at)}</h1>
                                <ul><SessionLine s=b.clone() /></ul>
                                {d.can_register.then(|| view! { <QuickRegister session=b.id people=people.clone() options=o.clone() register /> })}
                                <section class="card">
                                    <h2>{t!(i18n, session.heard)}</h2>
                                    <div data-testid="session-cases"><SummaryTable list=d.cases.clone() /></div>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.commitments)}</h2>
                                    <Commitments list=d.commitments.clone() can_deliver=d.can_manage />
                                    {d.can_manage.then(|| view! { <CommitForm session=b.id people=people.clone() codes commit /> })}
                                </section>
                                {if d.can_manage {
                                    view! { <CloseForm session=b.id close /> }.into_any()
                                } else {
                                    view! {
                                        <section class="card">
                                            <h2>{t!(i18n, session.minutes)}</h2>
                                            <p class="measure" data-testid="minutes">{d.minutes.clone()}</p>
                                        </section>
                                    }.into_any()
                                }}
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn QuickRegister(
    session: i64,
    people: Vec<domain::view::Named>,
    options: Option<domain::view::Options>,
    register: ServerAction<RegisterAtSession>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = last_error(register.value());
    let o = options
        .map(|o| (o.categories, o.regions))
        .unwrap_or_default();
    let last = move || register.value().get().and_then(|r| r.ok()).map(|r| r.code);
    view! {
        <section class="card">
            <h2>{t!(i18n, session.register)}</h2>
            {move || last().map(|code| {
                let photos = format!("/cases/{code}#photos");
                view! {
                <p class="notice" data-testid="registered">
                    {t!(i18n, session.registered)} " " <A href=format!("/cases/{code}")>{code.clone()}</A>
                    " · "
                    // Photos taken at the session (a phone offers its camera).
                    <a href=photos data-testid="session-add-photos">{t!(i18n, photo.add_resident)}</a>
                </p>
                }
            })}
            <ActionForm action=register attr:class="action quick" attr:data-action="register_at_session">
                <input type="hidden" name="session_id" value=session />
                <label>{t!(i18n, field.title)} <input type="text" name="title" maxlength="60" required /></label>
                {field_error(error, "title")}
                <label>{t!(i18n, field.description)} <textarea name="description" rows="2" maxlength="2000" required></textarea></label>
                {field_error(error, "description")}
                <label>
                    {t!(i18n, field.category)}
                    <select name="category_id">
                        <CategoryOptions categories=o.0 />
                    </select>
                </label>
                <label>
                    {t!(i18n, field.region)}
                    <select name="region_id">
                        {o.1.into_iter().map(|r| view! { <option value=r.id>{r.label}</option> }).collect_view()}
                    </select>
                </label>
                {field_error(error, "region_id")}
                <label>{t!(i18n, field.resident_name)} <input type="text" name="resident_name" maxlength="30" autocomplete="off" /></label>
                {field_error(error, "resident_name")}
                <label>{t!(i18n, field.resident_phone)} <input type="tel" name="resident_phone" maxlength="20" autocomplete="off" /></label>
                {field_error(error, "resident_phone")}
                <label class="check">
                    <input type="checkbox" name="notify" value="1" />
                    {t!(i18n, sms.opt_in_staff)}
                </label>
                <label>
                    {t!(i18n, session.heard_by)}
                    <select name="heard_by">
                        {people.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit">{t!(i18n, session.register_next)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn CommitForm(
    session: i64,
    people: Vec<domain::view::Named>,
    codes: Vec<String>,
    commit: ServerAction<AddCommitment>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = last_error(commit.value());
    view! {
        <ActionForm action=commit attr:class="action" attr:data-action="add_commitment">
            <input type="hidden" name="session_id" value=session />
            <label>
                {t!(i18n, session.by)}
                <select name="by">
                    {people.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                </select>
            </label>
            {field_error(error, "by")}
            <label>{t!(i18n, session.commitment)} <input type="text" name="text" maxlength="500" required /></label>
            {field_error(error, "text")}
            <label>{t!(i18n, session.due_on)} <input type="date" name="due_on" required /></label>
            {field_error(error, "due_on")}
            <label>
                {t!(i18n, field.code)}
                <select name="case">
                    <option value="">{t!(i18n, field.none)}</option>
                    {codes.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                </select>
            </label>
            {field_error(error, "case")}
            <button type="submit">{t!(i18n, session.add_commitment)}</button>
        </ActionForm>
    }
}

#[component]
fn CloseForm(session: i64, close: ServerAction<CloseSession>) -> impl IntoView {
    let i18n = use_i18n();
    let error = last_error(close.value());
    view! {
        <section class="card">
            <h2>{t!(i18n, session.close)}</h2>
            <ActionForm action=close attr:class="action" attr:data-action="close_session">
                <input type="hidden" name="session_id" value=session />
                <label>{t!(i18n, session.residents)} <input type="number" name="residents" min="0" max="10000" required /></label>
                {field_error(error, "residents")}
                <label>{t!(i18n, session.minutes)} <textarea name="minutes" rows="4" maxlength="5000" required></textarea></label>
                {field_error(error, "minutes")}
                <button type="submit">{t!(i18n, session.close)}</button>
            </ActionForm>
        </section>
    }
}

/// A station's public page: upcoming sessions, who is on duty, how to raise
/// a request, the station's figures.
#[component]
pub fn PublicStationPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let station = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_public_station,
    );
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match station.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(s) => {
                        let f = s.figures.clone();
                        view! {
                            <article class="station-public" data-testid="station">
                                <h1>{s.name.clone()}</h1>
                                <p>{s.community.clone()} " · " {s.address.clone()}</p>
                                <p>{t!(i18n, session.opening_hours)} "：" {s.opening_hours.clone()}</p>
                                <section class="card">
                                    <h2>{t!(i18n, session.upcoming)}</h2>
                                    <ul data-testid="upcoming">
                                        {s.upcoming.iter().map(|u| {
                                            let people: Vec<String> = u.attendees.iter().map(|a| a.name.clone()).collect();
                                            view! {
                                                <li data-session=u.id>
                                                    <time>{fmt_time(u.starts_at)}</time>
                                                    {(!u.topic.is_empty()).then(|| format!(" · {}", u.topic))}
                                                    " · " {people.join("、")}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    <a href=format!("/calendar/stations/{}.ics", s.id)>{t!(i18n, session.calendar)}</a>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.on_duty)}</h2>
                                    <p>{t!(i18n, session.deputies)} "：" {s.deputies.join("、")}</p>
                                    <p>{t!(i18n, session.leaders)} "：" {s.leaders.join("、")}</p>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.how_to)}</h2>
                                    <p>{t!(i18n, session.how_to_text)} " " <A href="/report">{t!(i18n, nav.report)}</A></p>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, stats.title)}</h2>
                                    <dl class="kpis">
                                        <div><dt>{t!(i18n, stats.collected)}</dt><dd>{f.collected}</dd></div>
                                        <div><dt>{t!(i18n, stats.closed)}</dt><dd>{f.closed}</dd></div>
                                        <div><dt>{t!(i18n, stats.on_time_rate)}</dt><dd>{rate(f.on_time_rate())}</dd></div>
                                        <div><dt>{t!(i18n, stats.satisfaction_rate)}</dt><dd>{rate(f.satisfaction_rate())}</dd></div>
                                    </dl>
                                </section>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A leader's or deputy's own page.
#[component]
pub fn MyVisitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let mine = Resource::new(|| (), |_| my_visits());
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match mine.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(m) => {
                        let f = m.figures.clone();
                        view! {
                            <article class="visits" data-testid="visits">
                                <h1>{t!(i18n, session.my_visits)}</h1>
                                <p><a href=m.calendar.clone() data-testid="my-calendar">{t!(i18n, session.calendar)}</a></p>
                                <p>
                                    {m.stations.clone().into_iter().map(|s| view! {
                                        <A href=format!("/stations/{}/brief", s.id)>{s.name.clone()}</A> " "
                                    }).collect_view()}
                                </p>
                                <dl class="kpis">
                                    <div><dt>{t!(i18n, session.heard)}</dt><dd>{f.collected}</dd></div>
                                    <div><dt>{t!(i18n, stats.closed)}</dt><dd>{f.closed}</dd></div>
                                    <div><dt>{t!(i18n, stats.on_time_rate)}</dt><dd>{rate(f.on_time_rate())}</dd></div>
                                    <div><dt>{t!(i18n, stats.satisfaction_rate)}</dt><dd>{rate(f.satisfaction_rate())}</dd></div>
                                    <div><dt>{t!(i18n, session.delivery_rate)}</dt><dd data-testid="delivery-rate">{rate(m.delivery_rate)}</dd></div>
                                </dl>
                                <section class="card">
                                    <h2>{t!(i18n, session.upcoming)}</h2>
                                    <ul>{m.upcoming.into_iter().map(|s| view! { <SessionLine s /> }).collect_view()}</ul>
                                    <h2>{t!(i18n, session.done)}</h2>
                                    <ul>{m.done.into_iter().map(|s| view! { <SessionLine s /> }).collect_view()}</ul>
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.heard)}</h2>
                                    <SummaryTable list=m.heard.clone() />
                                </section>
                                <section class="card">
                                    <h2>{t!(i18n, session.commitments)}</h2>
                                    <Commitments list=m.commitments.clone() can_deliver=false />
                                </section>
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
