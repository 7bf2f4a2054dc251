//! A case as staff see it: every field, the 13710 checkpoints, the timeline,
//! and exactly the actions the state machine allows the signed-in user.

use crate::api::{
    CreateItem, DecideExtension, IssueLetter, Perform, PublishPhoto, RecordCall, RequestExtension,
    filter_options, get_case,
};
use crate::i18n::*;
use crate::labels;
use crate::pages::callbacks::CallForm;
use crate::pages::items::CaseItem;
use crate::pages::layout::{DeadlineBadge, ErrorNote, fmt_time};
use crate::pages::photos::{Gallery, Upload};
use domain::photo::PhotoStage;
use domain::view::{CaseDetail, ExtensionStatus, Named};
use domain::{ActionKind as K, DeadlineClass, Tier};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn CasePage() -> impl IntoView {
    let params = use_params_map();
    let code = Signal::derive(move || params.read().get("code").unwrap_or_default());
    view! { <CaseLoader code /> }
}

/// A case with its actions, for a page or the board's side panel.
#[component]
pub fn CaseLoader(#[prop(into)] code: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let perform = ServerAction::<Perform>::new();
    let extend = ServerAction::<RequestExtension>::new();
    let decide = ServerAction::<DecideExtension>::new();
    let link = ServerAction::<CreateItem>::new();
    let call = ServerAction::<RecordCall>::new();
    let publish = ServerAction::<PublishPhoto>::new();
    let photos_added = RwSignal::new(0_u32);
    let detail = Resource::new(
        move || {
            (
                code.get(),
                perform.version().get(),
                call.version().get(),
                extend.version().get(),
                decide.version().get(),
                link.version().get(),
                publish.version().get(),
                photos_added.get(),
            )
        },
        |(c, ..)| get_case(c),
    );
    let options = Resource::new(|| (), |_| filter_options(None));
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                let units = options.await.map(|o| o.units).unwrap_or_default();
                match detail.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(d) => view! { <CaseView d units perform extend decide link call publish photos_added /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CaseView(
    d: CaseDetail,
    units: Vec<Named>,
    perform: ServerAction<Perform>,
    extend: ServerAction<RequestExtension>,
    decide: ServerAction<DecideExtension>,
    link: ServerAction<CreateItem>,
    call: ServerAction<RecordCall>,
    publish: ServerAction<PublishPhoto>,
    photos_added: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = d.status;
    let rated_via = d.rated_via.filter(|_| d.rating.is_some());
    let calls = d.calls;
    let route = d.route;
    let source = d.source;
    let rating = d.rating;
    let class = d.deadline_class;
    let receipt = format!("/cases/{}/receipt", d.code);
    let value = perform.value();
    let issue = ServerAction::<IssueLetter>::new();
    let issue_error = issue.value();
    let code = d.code.clone();
    let letters = d.letters.clone();
    let can_issue = d.can_issue_letter;
    let extensions = view! {
        <Extensions
            code=d.code.clone()
            list=d.extensions.clone()
            can_request=d.can_request_extension
            can_decide=d.can_decide_extension
            extend
            decide
        />
    };
    view! {
        <article class="case" data-status=status.as_str()>
            <header class="case-head">
                <h1>{d.title.clone()}</h1>
                <p>
                    <span class="code">{d.code.clone()}</span>
                    " · "
                    <strong data-testid="status">{move || labels::status(i18n.get_locale(), status)}</strong>
                    {move || rating.map(|r| format!(" · {}", labels::rating(i18n.get_locale(), r)))}
                    {move || rated_via.map(|v| format!("（{}）", labels::channel(i18n.get_locale(), v)))}
                    " · "
                    <A href=receipt>{t!(i18n, case.receipt)}</A>
                </p>
                {d.recurs.clone().map(|earlier| {
                    let href = format!("/cases/{earlier}");
                    view! {
                        <p class="notice recurring" data-testid="recurs">
                            <A href=href>{move || t_string!(i18n, case.recurs, code = earlier.clone()).to_string()}</A>
                        </p>
                    }
                })}
                <ol class="steps">
                    {domain::Step::ALL.into_iter().filter(|s| *s != domain::Step::Closed).map(|s| {
                        let state = if s == d.step { "current" } else if s < d.step { "done" } else { "" };
                        view! { <li class=state>{move || labels::step(i18n.get_locale(), s)}</li> }
                    }).collect_view()}
                </ol>
            </header>
            <div class="columns">
                <section class="card">
                    <h2>{t!(i18n, case.details)}</h2>
                    <dl>
                        <dt>{t!(i18n, field.description)}</dt>
                        <dd>{d.description.clone()}</dd>
                        <dt>{t!(i18n, field.category)}</dt>
                        <dd>{d.category.clone()}</dd>
                        <dt>{t!(i18n, field.region)}</dt>
                        <dd>{d.place.clone()}</dd>
                        <dt>{t!(i18n, field.station)}</dt>
                        <dd>{d.station.clone().unwrap_or_default()}</dd>
                        <dt>{t!(i18n, field.source)}</dt>
                        <dd>{move || labels::source(i18n.get_locale(), source)}</dd>
                        <dt>{t!(i18n, field.resident_name)}</dt>
                        <dd>{d.resident_name.clone()}</dd>
                        <dt>{t!(i18n, field.resident_phone)}</dt>
                        <dd>{d.resident_phone.clone()}</dd>
                        {(!d.resident_email.is_empty()).then(|| view! {
                            <dt>{t!(i18n, field.resident_email)}</dt>
                            <dd data-testid="resident-email">{d.resident_email.clone()}</dd>
                        })}
                        <dt>{t!(i18n, field.unit)}</dt>
                        <dd data-testid="unit">{d.unit.clone().unwrap_or_default()}</dd>
                        <dt>{t!(i18n, field.class)}</dt>
                        <dd>{move || labels::class(i18n.get_locale(), class)}</dd>
                        <dt>{t!(i18n, field.route)}</dt>
                        <dd>{move || route.map(|r| labels::route(i18n.get_locale(), r)).unwrap_or_default()}</dd>
                        <dt>{t!(i18n, field.result)}</dt>
                        <dd data-testid="result">{d.result.clone().unwrap_or_default()}</dd>
                        <dt>{t!(i18n, case.rework_count)}</dt>
                        <dd>{d.rework_count}</dd>
                    </dl>
                </section>
                <section class="card">
                    <h2>{t!(i18n, case.deadlines)}</h2>
                    <ul class="checkpoints">
                        {d.checkpoints.iter().map(|c| {
                            let cp = c.checkpoint;
                            view! {
                                <li data-checkpoint=cp.as_str()>
                                    {move || labels::checkpoint(i18n.get_locale(), cp)}
                                    " "
                                    <DeadlineBadge deadline=Some(c.clone()) />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <h2>{t!(i18n, case.actions)}</h2>
                    {move || value.get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
                    {if d.actions.is_empty() {
                        view! { <p class="muted">{t!(i18n, case.no_actions)}</p> }.into_any()
                    } else {
                        d.actions.iter().map(|k| view! { <ActionBox code=d.code.clone() kind=*k units=units.clone() perform /> }).collect_view().into_any()
                    }}
                    {d.can_call.then(|| view! {
                        <h3>{t!(i18n, callback.heading)}</h3>
                        <p class="muted" data-testid="calls">
                            {move || t_string!(i18n, callback.calls_made, n = calls.unanswered).to_string()}
                            {calls.concluded.then(|| view! { " · " {t!(i18n, callback.concluded)} })}
                        </p>
                        <CallForm code=d.code.clone() call />
                    })}
                </section>
            </div>
            <CaseItem
                code=d.code.clone()
                title=d.title.clone()
                coordination=d.coordination.clone()
                can_coordinate=d.can_coordinate
                units=units.clone()
                create=link
            />
            {extensions}
            {(!letters.is_empty() || can_issue).then(move || view! {
                <section class="card letters">
                    <h2>{t!(i18n, letter.list)}</h2>
                    <ul>
                        {letters.into_iter().map(|l| view! {
                            <li><A href=format!("/letters/{}", l.id)>{l.name}</A></li>
                        }).collect_view()}
                    </ul>
                    {can_issue.then(|| view! {
                        <ActionForm action=issue attr:class="action" attr:data-action="issue_letter">
                            <input type="hidden" name="code" value=code.clone() />
                            <label>
                                {t!(i18n, letter.demand)}
                                <textarea name="demand" rows="3" maxlength="1000" required>{move || td_string!(i18n.get_locale(), letter.default_demand).to_string()}</textarea>
                            </label>
                            <label>
                                {t!(i18n, letter.reply_days)}
                                <input type="number" name="reply_days" min="1" max="30" value="3" required />
                            </label>
                            {move || issue_error.get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
                            <button type="submit">{t!(i18n, letter.issue)}</button>
                        </ActionForm>
                    })}
                </section>
            })}
            <section class="card photos" id="photos">
                <h2>{t!(i18n, photo.heading)}</h2>
                {match d.can_publish_photos {
                    true => view! { <Gallery code=d.code.clone() photos=d.photos.clone() publish /> }.into_any(),
                    false => view! { <Gallery code=d.code.clone() photos=d.photos.clone() /> }.into_any(),
                }}
                {d.can_attach_photos.then(|| view! {
                    <h3>{t!(i18n, photo.add)}</h3>
                    <Upload action=format!("/cases/{}/photos", d.code) stages=PhotoStage::ALL.to_vec() added=photos_added />
                })}
            </section>
            <section class="card">
                <h2>{t!(i18n, case.timeline)}</h2>
                <ol class="timeline">
                    {d.timeline.iter().map(|e| {
                        let kind = e.kind.clone();
                        let to = e.to_status;
                        let note = e.call;
                        let message = e.message;
                        view! {
                            <li data-kind=e.kind.clone()>
                                <time>{fmt_time(e.at)}</time>
                                " "
                                <strong>{move || labels::event(i18n.get_locale(), &kind)}</strong>
                                {move || note.map(|n| format!("（{}）", labels::call_note(i18n.get_locale(), n)))}
                                {move || message.map(|m| format!("（{}）", labels::message_note(i18n.get_locale(), m)))}
                                " → "
                                {move || labels::status(i18n.get_locale(), to)}
                                " · "
                                {e.actor.clone()}
                                {e.detail.clone().map(|t| view! { <blockquote>{t}</blockquote> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
        </article>
    }
}

/// What an action asks for besides the click.
fn text_field(kind: K) -> Option<(&'static str, bool)> {
    match kind {
        K::AnswerOnSpot
        | K::RequestClosure
        | K::CompleteLocally
        | K::ResolveEscalated
        | K::AnswerSuggestion => Some(("result", true)),
        K::NotAccept | K::Return | K::RejectClosure => Some(("reason", true)),
        K::Escalate | K::ToSuggestion | K::ReportProgress | K::Urge => Some(("text", true)),
        K::HandleLocally | K::RecordFeedback => Some(("text", false)),
        K::Merge => Some(("into", true)),
        _ => None,
    }
}

#[component]
fn ActionBox(
    code: String,
    kind: K,
    units: Vec<Named>,
    perform: ServerAction<Perform>,
) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || labels::action(i18n.get_locale(), kind);
    let text = text_field(kind).map(|(name, required)| {
        let caption = move || match name {
            "result" => td_string!(i18n.get_locale(), field.result).to_string(),
            "reason" => td_string!(i18n.get_locale(), field.reason).to_string(),
            "into" => td_string!(i18n.get_locale(), field.into).to_string(),
            _ => td_string!(i18n.get_locale(), field.text).to_string(),
        };
        view! {
            <label>
                {caption}
                <textarea name="text" rows="2" required=required maxlength="2000"></textarea>
            </label>
        }
    });
    let assign = (kind == K::Assign).then(|| {
        view! {
            <label>
                {t!(i18n, field.unit)}
                <select name="unit_id">
                    {units.iter().map(|u| view! { <option value=u.id.to_string()>{u.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, field.class)}
                <select name="class">
                    {[DeadlineClass::Ordinary, DeadlineClass::Complex, DeadlineClass::Urgent].into_iter().map(|c| view! {
                        <option value=c.as_str()>{move || labels::class(i18n.get_locale(), c)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    });
    let tier = (kind == K::HandleLocally).then(|| {
        view! {
            <label>
                {t!(i18n, field.tier)}
                <select name="tier">
                    {[Tier::Grid, Tier::Compound, Tier::Community].into_iter().map(|t| view! {
                        <option value=t.as_str()>{move || labels::tier(i18n.get_locale(), t)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    });
    view! {
        <ActionForm action=perform attr:class="action" attr:data-action=kind.as_str()>
            <input type="hidden" name="code" value=code />
            <input type="hidden" name="kind" value=kind.as_str() />
            {assign}
            {tier}
            {text}
            <button type="submit">{label}</button>
        </ActionForm>
    }
}

/// Extension requests (延期) of the current clock, the unit's request form
/// and the supervisor's decision.
#[component]
fn Extensions(
    code: String,
    list: Vec<domain::view::Extension>,
    can_request: bool,
    can_decide: bool,
    extend: ServerAction<RequestExtension>,
    decide: ServerAction<DecideExtension>,
) -> impl IntoView {
    let i18n = use_i18n();
    let extend_error = crate::pages::layout::last_error(extend.value());
    let decide_error = crate::pages::layout::last_error(decide.value());
    let show = !list.is_empty() || can_request || can_decide;
    let code2 = code.clone();
    show.then(move || view! {
        <section class="card extensions" data-testid="extensions">
            <h2>{t!(i18n, extension.title)}</h2>
            <ul>
                {list.into_iter().map(|e| {
                    let status = e.status;
                    view! {
                        <li data-status=status.as_str()>
                            {t!(i18n, extension.days, days = e.days)} " · " {e.reason.clone()} " · "
                            <strong>{move || match status {
                                ExtensionStatus::Approved => t_string!(i18n, extension.approved),
                                ExtensionStatus::Refused => t_string!(i18n, extension.refused),
                                ExtensionStatus::Pending => t_string!(i18n, extension.pending),
                            }}</strong>
                            {(!e.note.is_empty()).then(|| format!(" · {}", e.note))}
                            " · " {fmt_time(e.requested_at)}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {can_request.then(|| view! {
                <ActionForm action=extend attr:class="action" attr:data-action="request_extension">
                    <input type="hidden" name="code" value=code.clone() />
                    <label>
                        {t!(i18n, extension.days_label)}
                        <input type="number" name="days" min="1" max="30" value="3" required />
                    </label>
                    {crate::pages::layout::field_error(extend_error, "days")}
                    <label>
                        {t!(i18n, extension.reason)}
                        <textarea name="reason" rows="2" maxlength="500" required></textarea>
                    </label>
                    {crate::pages::layout::field_error(extend_error, "reason")}
                    <button type="submit">{t!(i18n, extension.request)}</button>
                </ActionForm>
            })}
            {can_decide.then(|| view! {
                <ActionForm action=decide attr:class="action" attr:data-action="decide_extension">
                    <input type="hidden" name="code" value=code2.clone() />
                    <label>
                        {t!(i18n, extension.note)}
                        <input type="text" name="note" maxlength="500" />
                    </label>
                    <button type="submit" name="decision" value="approve" data-testid="approve-extension">{t!(i18n, extension.approve)}</button>
                    " "
                    <button type="submit" name="decision" value="refuse" data-testid="refuse-extension">{t!(i18n, extension.refuse)}</button>
                </ActionForm>
            })}
            {move || decide_error.get().map(|e| view! { <ErrorNote error=e /> })}
        </section>
    })
}
