//! The start page: the public landing page, or for signed-in staff their
//! day (工作台) — what waits for them, overdue first.

use crate::api::get_my_day;
use crate::i18n::*;
use crate::pages::cases::SummaryTable;
use crate::pages::layout::{ErrorNote, SignedIn, fmt_time};
use domain::Role;
use domain::view::{MyDay, ToDo, UserInfo};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Home() -> impl IntoView {
    let user = expect_context::<SignedIn>().0;
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) if u.must_change_password => view! { <Landing /> }.into_any(),
                    // A party member's day is their service (双报到), not cases.
                    Ok(Some(u)) if u.role == Role::Member => view! { <MemberHome user=u /> }.into_any(),
                    Ok(Some(u)) => view! { <WorkHome user=u /> }.into_any(),
                    _ => view! { <Landing /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Landing() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="hero">
            <h1>{t!(i18n, home.title)}</h1>
            <p>{t!(i18n, home.intro)}</p>
            <div class="choices">
                <A href="/report" attr:class="button">{t!(i18n, home.report)}</A>
                <A href="/track" attr:class="button">{t!(i18n, home.resident)}</A>
                <A href="/stats" attr:class="button secondary">{t!(i18n, home.stats)}</A>
                <A href="/login" attr:class="button secondary">{t!(i18n, home.staff)}</A>
            </div>
        </section>
    }
}

#[component]
fn MemberHome(user: UserInfo) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="hero" data-testid="my-day">
            <h1>{t!(i18n, home.signed_in)}{user.display_name}</h1>
            <div class="choices">
                <A href="/service" attr:class="button">{t!(i18n, nav.service)}</A>
                <A href="/wall" attr:class="button secondary">{t!(i18n, nav.wall)}</A>
            </div>
        </section>
    }
}

#[component]
fn WorkHome(user: UserInfo) -> impl IntoView {
    let i18n = use_i18n();
    let day = Resource::new(|| (), |_| get_my_day());
    let (role, to_do) = (user.role, user.to_do);
    view! {
        <section class="my-day" data-testid="my-day">
            <h1>
                {t!(i18n, home.signed_in)}{user.display_name.clone()}
                {user.place.clone().map(|p| view! { <small>" · " {p}</small> })}
            </h1>
            <Suspense fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match day.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(day) => view! { <Day day role to_do /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Day(day: MyDay, role: Role, to_do: Option<ToDo>) -> impl IntoView {
    let i18n = use_i18n();
    let area = day.area.clone();
    let in_step = move |step: domain::Step| {
        area.steps
            .iter()
            .find(|(s, _)| *s == step)
            .map_or(0, |(_, n)| *n)
    };
    let feedback = in_step(domain::Step::Feedback);
    let rating = in_step(domain::Step::Rate);
    let rating_link = if domain::permission::allows(role, domain::Permission::CallBack) {
        "/callbacks"
    } else {
        "/cases?step=rate"
    };
    let waiting = day.waiting.clone();
    view! {
        {to_do.map(|t| view! {
            <h2>{t!(i18n, home.to_do)}</h2>
            <p class="to-do-figures" data-testid="my-to-do" data-total=t.total data-overdue=t.overdue>
                <strong>{t.total}</strong> " " {t!(i18n, home.waiting_for_you)}
                {(t.overdue > 0).then(|| view! {
                    " · " <strong class="overdue">{t.overdue}</strong> " " {t!(i18n, home.overdue)}
                })}
            </p>
            {if waiting.is_empty() {
                view! { <p class="empty">{t!(i18n, home.nothing_waits)}</p> }.into_any()
            } else {
                let more = t.total > waiting.len() as i64;
                view! {
                    <SummaryTable list=waiting.clone() />
                    {more.then(|| view! {
                        <p><A href="/cases?mine=1" attr:data-testid="all-to-do">
                            {t!(i18n, home.all_to_do, n = move || t.total)}
                        </A></p>
                    })}
                }.into_any()
            }}
        })}
        {day.next_session.map(|s| {
            let brief = format!("/stations/{}/brief", s.station_id);
            let session = format!("/sessions/{}", s.id);
            view! {
                <h2>{t!(i18n, home.next_session)}</h2>
                <p class="next-session" data-testid="next-session">
                    <A href=session>{fmt_time(s.starts_at)} " · " {s.station.clone()} " · " {s.topic.clone()}</A>
                    " " <A href=brief attr:class="button secondary">{t!(i18n, home.brief)}</A>
                </p>
            }
        })}
        {day.open_commitments.map(|n| view! {
            <p><A href="/visits" attr:data-testid="open-commitments">
                {t!(i18n, home.open_commitments, n = move || n)}
            </A></p>
        })}
        <h2>{t!(i18n, home.area)}</h2>
        <dl class="strip" data-testid="area-figures">
            <div><dt>{t!(i18n, home.open)}</dt><dd><A href="/board">{day.area.open}</A></dd></div>
            <div class="overdue"><dt>{t!(i18n, home.overdue)}</dt><dd><A href="/cases?overdue=1">{day.area.overdue}</A></dd></div>
            <div><dt>{t!(i18n, home.feedback)}</dt><dd><A href="/cases?step=feedback">{feedback}</A></dd></div>
            <div><dt>{t!(i18n, home.rating)}</dt><dd><A href=rating_link>{rating}</A></dd></div>
            <div><dt>{t!(i18n, home.escalated)}</dt><dd><A href="/board?escalated=1">{day.area.escalated}</A></dd></div>
        </dl>
        {(role == Role::GridWorker).then(|| view! {
            <p><A href="/grid/mine" attr:class="button secondary">{t!(i18n, nav.my_grid)}</A></p>
        })}
    }
}
