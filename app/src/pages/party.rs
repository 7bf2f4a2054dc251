//! Party building: the organisations on the tree with the seed's headline
//! figures, dual registration (public forms, the community's confirmation,
//! receipts), need lists with claim cards and service logs, a member's own
//! page and the quarterly service report for the work units.

use crate::api::{
    AddNeed, AddPartyOrg, ClaimAction as ClaimStep, ClaimNeed, CloseNeed, DecideRegistration,
    LogService, RegisterMember, RegisterUnit, list_needs, my_service, need_communities,
    party_overview, party_places, party_receipt, party_register_options, party_registrations,
    service_report,
};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use crate::tables::{report_headings, report_rows, report_title};
use domain::Rating;
use domain::party::{Claim, ClaimAction, ClaimStatus, Headline, OrgKind, RegStatus, hours};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

pub fn kind_label(l: Locale, k: OrgKind) -> String {
    match k {
        OrgKind::Committee => td_string!(l, party.committee),
        OrgKind::Branch => td_string!(l, party.branch),
        OrgKind::Group => td_string!(l, party.group),
    }
    .to_string()
}

fn reg_label(l: Locale, s: RegStatus) -> String {
    match s {
        RegStatus::Pending => td_string!(l, party.pending),
        RegStatus::Confirmed => td_string!(l, party.confirmed),
        RegStatus::Refused => td_string!(l, party.refused),
    }
    .to_string()
}

fn claim_label(l: Locale, s: ClaimStatus) -> String {
    match s {
        ClaimStatus::Signed => td_string!(l, party.signed),
        ClaimStatus::Approved => td_string!(l, party.approved),
        ClaimStatus::Refused => td_string!(l, party.refused),
        ClaimStatus::Withdrawn => td_string!(l, party.withdrawn),
        ClaimStatus::Evaluated => td_string!(l, party.evaluated),
    }
    .to_string()
}

fn claim_action_label(l: Locale, a: ClaimAction) -> String {
    match a {
        ClaimAction::Approve => td_string!(l, party.approve),
        ClaimAction::Refuse => td_string!(l, party.refuse),
        ClaimAction::Withdraw => td_string!(l, party.withdraw),
        ClaimAction::Evaluate => td_string!(l, party.evaluate),
    }
    .to_string()
}

/// The seed's two sentences, from the data.
#[component]
fn HeadlineView(h: Headline) -> impl IntoView {
    let i18n = use_i18n();
    let Headline {
        committees,
        branches,
        groups,
        retired_secretaries,
        members_registered,
        communities,
        units_registered,
    } = h;
    view! {
        <div class="card headline" data-testid="party-headline">
            <p>{move || td_string!(i18n.get_locale(), party.headline, committees = committees, branches = branches, groups = groups, retired = retired_secretaries).to_string()}</p>
            <p>{move || td_string!(i18n.get_locale(), party.headline_members, members = members_registered, communities = communities, units = units_registered).to_string()}</p>
        </div>
    }
}

#[component]
fn PartyNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="subnav">
            <a href="/party">{t!(i18n, party.orgs)}</a>
            <a href="/party/registrations">{t!(i18n, party.registrations)}</a>
            <a href="/party/needs">{t!(i18n, party.needs)}</a>
            <a href="/party/report">{t!(i18n, party.report)}</a>
            <a href="/party/register">{t!(i18n, nav.party_register)}</a>
        </nav>
    }
}

/// `/party`: the organisations of the reader's area as a tree.
#[component]
pub fn Party() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddPartyOrg>::new();
    let overview = Resource::new(move || add.version().get(), |_| party_overview());
    let places = Resource::new(|| (), |_| party_places());
    let error = last_error(add.value());
    view! {
        <section class="party">
            <h1>{t!(i18n, party.title)}</h1>
            <PartyNav />
            <p class="hint">{t!(i18n, party.intro)}</p>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => {
                            let parents = o.orgs.iter().filter(|g| g.kind != OrgKind::Group).map(|g| (g.id, g.name.clone())).collect::<Vec<_>>();
                            view! {
                                <HeadlineView h=o.headline.clone() />
                                <table class="figures" data-testid="party-orgs">
                                    <thead>
                                        <tr>
                                            <th scope="col">{t!(i18n, party.name)}</th>
                                            <th scope="col">{t!(i18n, party.kind)}</th>
                                            <th scope="col">{t!(i18n, party.place)}</th>
                                            <th scope="col">{t!(i18n, party.secretary)}</th>
                                            <th scope="col">{t!(i18n, party.members)}</th>
                                            <th scope="col">{t!(i18n, party.registered)}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {o.orgs.into_iter().map(|g| {
                                            let kind = g.kind;
                                            let indent = format!("padding-left: {}em", g.depth * 2);
                                            view! {
                                                <tr data-org=g.id data-kind=kind.as_str()>
                                                    <td style=indent>{g.name.clone()}</td>
                                                    <td>{move || kind_label(i18n.get_locale(), kind)}</td>
                                                    <td>{g.place.clone()}</td>
                                                    <td>
                                                        {g.secretary.clone()}
                                                        {g.secretary_retired.then(|| view! { " " <span class="badge blue">{t!(i18n, party.retired)}</span> })}
                                                    </td>
                                                    <td class="num">{g.members}</td>
                                                    <td class="num">{g.registered}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <ActionForm action=add attr:class="action card" attr:data-action="add_party_org">
                                    <h2>{t!(i18n, party.add_org)}</h2>
                                    <label>{t!(i18n, party.kind)}
                                        <select name="kind">
                                            {OrgKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{move || kind_label(i18n.get_locale(), k)}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    {field_error(error, "kind")}
                                    <label>{t!(i18n, party.name)} <input type="text" name="name" maxlength="60" required /></label>
                                    {field_error(error, "name")}
                                    <label>{t!(i18n, party.parent)}
                                        <select name="parent_id">
                                            <option value="">{t!(i18n, party.no_parent)}</option>
                                            {parents.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    {field_error(error, "parent_id")}
                                    <Transition fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            let list = places.await.unwrap_or_default();
                                            view! {
                                                <label>{t!(i18n, party.place)}
                                                    <select name="region_id">
                                                        {list.into_iter().map(|r| view! { <option value=r.id>{r.label}</option> }).collect_view()}
                                                    </select>
                                                </label>
                                            }
                                        })}
                                    </Transition>
                                    {field_error(error, "region_id")}
                                    <label>{t!(i18n, party.secretary)} <input type="text" name="secretary" maxlength="30" required /></label>
                                    {field_error(error, "secretary")}
                                    <label class="check"><input type="checkbox" name="secretary_retired" value="on" /> {t!(i18n, party.retired)}</label>
                                    <label>{t!(i18n, party.members)} <input type="number" name="members" min="0" value="0" required /></label>
                                    {field_error(error, "members")}
                                    <button type="submit">{t!(i18n, party.add_org)}</button>
                                </ActionForm>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/party/registrations`: members' and units' registrations to confirm.
#[component]
pub fn Registrations() -> impl IntoView {
    let i18n = use_i18n();
    let decide = ServerAction::<DecideRegistration>::new();
    let list = Resource::new(move || decide.version().get(), |_| party_registrations());
    let error = last_error(decide.value());
    view! {
        <section class="party">
            <h1>{t!(i18n, party.registrations)}</h1>
            <PartyNav />
            {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(rows) => view! {
                            <table class="figures" data-testid="registrations">
                                <thead>
                                    <tr>
                                        <th scope="col">{t!(i18n, party.kind)}</th>
                                        <th scope="col">{t!(i18n, party.display_name)}</th>
                                        <th scope="col">{t!(i18n, party.work_unit)}</th>
                                        <th scope="col">{t!(i18n, party.community)}</th>
                                        <th scope="col">{t!(i18n, party.phone)}</th>
                                        <th scope="col">{t!(i18n, party.registered_at)}</th>
                                        <th scope="col">{t!(i18n, field.status)}</th>
                                        <th scope="col">{t!(i18n, case.actions)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|r| {
                                        let status = r.status;
                                        let kind = if r.member { "member" } else { "unit" };
                                        let receipt = format!("/party/receipt/{kind}/{}", r.id);
                                        view! {
                                            <tr data-registration=r.id data-kind=kind data-name=r.name.clone() data-status=status.as_str()>
                                                <td>{move || if r.member { td_string!(i18n.get_locale(), party.member) } else { td_string!(i18n.get_locale(), party.unit) }}</td>
                                                <td>{r.name.clone()}<br /><small>{r.detail.clone()}</small></td>
                                                <td>{r.unit.clone()}</td>
                                                <td>{r.community.clone()}</td>
                                                <td>{r.phone.clone()}</td>
                                                <td>{fmt_time(r.registered_at)}</td>
                                                <td>
                                                    {move || reg_label(i18n.get_locale(), status)}
                                                    {r.receipt_no.clone().map(|no| view! { <br /><a href=receipt.clone()>{no}</a> })}
                                                </td>
                                                <td>
                                                    {(status == RegStatus::Pending).then(|| ["confirm", "refuse"].map(|d| view! {
                                                        <ActionForm action=decide attr:class="inline" attr:data-decision=d>
                                                            <input type="hidden" name="kind" value=kind />
                                                            <input type="hidden" name="registration" value=r.id />
                                                            <input type="hidden" name="decision" value=d />
                                                            <button type="submit">{move || if d == "confirm" { td_string!(i18n.get_locale(), party.confirm) } else { td_string!(i18n.get_locale(), party.refuse) }}</button>
                                                        </ActionForm>
                                                    }).collect_view())}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One claim card with its service log; `member` shows the member's own
/// forms (log, withdraw), otherwise the community's (approve, evaluate).
#[component]
fn ClaimCard(
    claim: Claim,
    member: bool,
    step: ServerAction<ClaimStep>,
    log: ServerAction<LogService>,
) -> impl IntoView {
    let i18n = use_i18n();
    let status = claim.status;
    let id = claim.id;
    let serving = member && status.serving();
    let log_error = last_error(log.value());
    view! {
        <li class="card claim" data-claim=id data-status=status.as_str() data-member=claim.member.clone()>
            <strong>{if member { claim.need.clone() } else { format!("{} · {}", claim.member, claim.unit) }}</strong>
            " " <span class="badge">{move || claim_label(i18n.get_locale(), status)}</span>
            <p>{claim.pledge.clone()}</p>
            <p class="muted">
                {t!(i18n, party.logged)} " " <span data-testid="hours">{hours(claim.minutes)}</span> " h · " {fmt_time(claim.claimed_at)}
                {claim.evaluation.map(|r| view! { " · " {move || labels::rating(i18n.get_locale(), r)} })}
                {(!claim.evaluation_note.is_empty()).then(|| format!(" · {}", claim.evaluation_note))}
            </p>
            {(!claim.logs.is_empty()).then(|| view! {
                <ul class="logs">
                    {claim.logs.iter().map(|l| view! { <li>{l.served_on.to_string()} " · " {hours(l.minutes)} " h · " {l.note.clone()}</li> }).collect_view()}
                </ul>
            })}
            {claim.actions.into_iter().map(|a| view! {
                <ActionForm action=step attr:class="inline" attr:data-step=a.as_str()>
                    <input type="hidden" name="claim" value=id />
                    <input type="hidden" name="action" value=a.as_str() />
                    {(a == ClaimAction::Evaluate).then(|| view! {
                        <select name="evaluation" aria-label=move || t_string!(i18n, party.evaluation)>
                            {[Rating::Satisfied, Rating::FairlySatisfied, Rating::Dissatisfied].map(|r| view! { <option value=r.as_str()>{move || labels::rating(i18n.get_locale(), r)}</option> }).collect_view()}
                        </select>
                        <input type="text" name="note" maxlength="500" placeholder=move || t_string!(i18n, party.evaluation_note) />
                    })}
                    <button type="submit">{move || claim_action_label(i18n.get_locale(), a)}</button>
                </ActionForm>
            }).collect_view()}
            {serving.then(|| view! {
                <ActionForm action=log attr:class="action" attr:data-action="log_service">
                    <input type="hidden" name="claim" value=id />
                    <label>{t!(i18n, party.served_on)} <input type="date" name="served_on" required /></label>
                    {field_error(log_error, "served_on")}
                    <label>{t!(i18n, party.hours)} <input type="text" name="hours" inputmode="decimal" maxlength="5" required /></label>
                    {field_error(log_error, "hours")}
                    <label>{t!(i18n, party.note)} <input type="text" name="note" maxlength="500" required /></label>
                    {field_error(log_error, "note")}
                    <button type="submit">{t!(i18n, party.log)}</button>
                </ActionForm>
            })}
        </li>
    }
}

/// `/party/needs`: the need lists with every claim card on them.
#[component]
pub fn Needs() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddNeed>::new();
    let close = ServerAction::<CloseNeed>::new();
    let step = ServerAction::<ClaimStep>::new();
    let log = ServerAction::<LogService>::new();
    let needs = Resource::new(
        move || {
            (
                add.version().get(),
                close.version().get(),
                step.version().get(),
            )
        },
        |_| list_needs(),
    );
    let communities = Resource::new(|| (), |_| need_communities());
    let error = last_error(add.value());
    let step_error = last_error(step.value());
    view! {
        <section class="party">
            <h1>{t!(i18n, party.needs)}</h1>
            <PartyNav />
            <ActionForm action=add attr:class="action card" attr:data-action="add_need">
                <h2>{t!(i18n, party.add_need)}</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = communities.await.unwrap_or_default();
                        view! {
                            <label>{t!(i18n, party.community)}
                                <select name="community_id">
                                    {list.into_iter().map(|r| view! { <option value=r.id>{r.label}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                {field_error(error, "community_id")}
                <label>{t!(i18n, party.need_title)} <input type="text" name="title" maxlength="60" required /></label>
                {field_error(error, "title")}
                <label>{t!(i18n, party.need_detail)} <textarea name="detail" rows="2" maxlength="500"></textarea></label>
                {field_error(error, "detail")}
                <button type="submit">{t!(i18n, party.add_need)}</button>
            </ActionForm>
            {move || step_error.get().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match needs.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) => view! {
                            <div data-testid="needs">
                                {list.into_iter().map(|n| {
                                    let open = n.open;
                                    view! {
                                        <section class="card need" data-need=n.id data-title=n.title.clone()>
                                            <h2>{n.title.clone()} {(!open).then(|| view! { " " <span class="badge">{t!(i18n, party.closed)}</span> })}</h2>
                                            <p class="muted">{n.community.clone()} " · " {n.detail.clone()}</p>
                                            {open.then(|| view! {
                                                <ActionForm action=close attr:class="inline" attr:data-action="close_need">
                                                    <input type="hidden" name="need" value=n.id />
                                                    <button type="submit" class="link">{t!(i18n, party.close_need)}</button>
                                                </ActionForm>
                                            })}
                                            <h3>{t!(i18n, party.claims)}</h3>
                                            {if n.claims.is_empty() {
                                                view! { <p class="muted">{t!(i18n, party.no_claims)}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="claims">
                                                        {n.claims.into_iter().map(|c| view! { <ClaimCard claim=c member=false step log /> }).collect_view()}
                                                    </ul>
                                                }.into_any()
                                            }}
                                        </section>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/service`: a member's registration, their community's need list and
/// their own claim cards with the service they logged.
#[component]
pub fn MyServicePage() -> impl IntoView {
    let i18n = use_i18n();
    let claim = ServerAction::<ClaimNeed>::new();
    let step = ServerAction::<ClaimStep>::new();
    let log = ServerAction::<LogService>::new();
    let mine = Resource::new(
        move || {
            (
                claim.version().get(),
                step.version().get(),
                log.version().get(),
            )
        },
        |_| my_service(),
    );
    let claim_error = last_error(claim.value());
    let step_error = last_error(step.value());
    view! {
        <section class="party">
            <h1>{t!(i18n, party.my_title)}</h1>
            <p class="hint">{t!(i18n, party.my_intro)}</p>
            {move || claim_error.get().map(|e| view! { <ErrorNote error=e /> })}
            {move || step_error.get().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match mine.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(m) => {
                            let status = m.status;
                            view! {
                                <p data-testid="my-registration" data-status=status.as_str()>
                                    {t!(i18n, party.my_community)} ": " {m.community.clone()} " · "
                                    {move || reg_label(i18n.get_locale(), status)}
                                    {m.receipt_no.clone().map(|no| view! {
                                        " · " {t!(i18n, party.receipt_no)} " " <span data-testid="receipt-no">{no}</span> " · "
                                        <a href=format!("/party/receipt/member/{}", m.member_id) data-testid="receipt-link">{t!(i18n, party.receipt)}</a>
                                    })}
                                </p>
                                <h2>{t!(i18n, party.need_list)}</h2>
                                <ul class="needs" data-testid="need-list">
                                    {m.needs.into_iter().map(|n| view! {
                                        <li class="card need" data-need=n.id data-title=n.title.clone()>
                                            <strong>{n.title.clone()}</strong>
                                            <p class="muted">{n.detail.clone()}</p>
                                            {if n.claimed_by_me {
                                                view! { <span class="badge green">{t!(i18n, party.claimed)}</span> }.into_any()
                                            } else {
                                                view! {
                                                    <ActionForm action=claim attr:class="action" attr:data-action="claim_need">
                                                        <input type="hidden" name="need" value=n.id />
                                                        <label>{t!(i18n, party.pledge)} <input type="text" name="pledge" maxlength="500" required /></label>
                                                        <button type="submit">{t!(i18n, party.claim)}</button>
                                                    </ActionForm>
                                                }.into_any()
                                            }}
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <h2>{t!(i18n, party.my_claims)}</h2>
                                <ul class="claims" data-testid="my-claims">
                                    {m.claims.into_iter().map(|c| view! { <ClaimCard claim=c member=true step log /> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/party/report?quarter=2026-Q4`: service per member and per work unit.
#[component]
pub fn ReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let report = Resource::new(
        move || query.read().get("quarter").unwrap_or_default(),
        service_report,
    );
    view! {
        <section class="party">
            <h1>{t!(i18n, party.report)}</h1>
            <PartyNav />
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(r) => {
                            let q = r.quarter;
                            let quarters = [q.previous().previous().previous(), q.previous().previous(), q.previous(), q];
                            view! {
                                <form method="get" action="/party/report" class="filters">
                                    <label>{t!(i18n, party.quarter)}
                                        <select name="quarter">
                                            {quarters.into_iter().rev().map(|o| view! { <option value=o.to_string() selected=o == q>{o.to_string()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <button type="submit">{t!(i18n, party.show)}</button>
                                </form>
                                <p class="downloads">
                                    <a href=format!("/party/report.xlsx?quarter={q}") download>{t!(i18n, party.download_xlsx)}</a> " · "
                                    <a href=format!("/party/report.csv?quarter={q}") download data-testid="report-csv">{t!(i18n, party.download_csv)} " (" {t!(i18n, party.by_member)} ")"</a> " · "
                                    <a href=format!("/party/report.csv?quarter={q}&by=unit") download>{t!(i18n, party.download_csv)} " (" {t!(i18n, party.by_unit)} ")"</a>
                                </p>
                                {if r.members.is_empty() {
                                    view! { <p class="muted">{t!(i18n, party.empty)}</p> }.into_any()
                                } else {
                                    [false, true].map(|by_unit| {
                                        let rows = report_rows(i18n.get_locale_untracked(), &r, by_unit);
                                        view! {
                                            <h2>{move || report_title(i18n.get_locale(), by_unit)}</h2>
                                            <table class="figures" data-testid=if by_unit { "report-units" } else { "report-members" }>
                                                <thead>
                                                    <tr>{move || report_headings(i18n.get_locale(), by_unit).into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                                                </thead>
                                                <tbody>
                                                    {rows.into_iter().map(|row| {
                                                        let name = row.first().cloned().unwrap_or_default();
                                                        view! { <tr data-name=name>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        }
                                    }).collect_view().into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/party/register`: the public forms of dual registration.
#[component]
pub fn Register() -> impl IntoView {
    let i18n = use_i18n();
    let member = ServerAction::<RegisterMember>::new();
    let unit = ServerAction::<RegisterUnit>::new();
    let options = Resource::new(move || unit.version().get(), |_| party_register_options());
    let member_error = last_error(member.value());
    let unit_error = last_error(unit.value());
    let member_done = move || matches!(member.value().get(), Some(Ok(())));
    let unit_done = move || matches!(unit.value().get(), Some(Ok(())));
    view! {
        <section class="party register">
            <h1>{t!(i18n, party.register_title)}</h1>
            <p class="hint">{t!(i18n, party.register_intro)}</p>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => {
                            let units = o.units.clone();
                            let homes = o.homes.clone();
                            let communities = o.communities.clone();
                            view! {
                                <HeadlineView h=o.headline.clone() />
                                <Show when=member_done fallback=move || {
                                    let units = units.clone();
                                    let homes = homes.clone();
                                    view! {
                                        <ActionForm action=member attr:class="action card" attr:data-action="register_member">
                                            <h2>{t!(i18n, party.member_form)}</h2>
                                            <label>{t!(i18n, party.display_name)} <input type="text" name="display_name" maxlength="30" autocomplete="name" required /></label>
                                            {field_error(member_error, "display_name")}
                                            <label>{t!(i18n, party.gender)}
                                                <select name="gender">
                                                    <option value="male">{t!(i18n, party.male)}</option>
                                                    <option value="female">{t!(i18n, party.female)}</option>
                                                </select>
                                            </label>
                                            {field_error(member_error, "gender")}
                                            <label>{t!(i18n, party.birth_year)} <input type="number" name="birth_year" min="1920" max="2015" required /></label>
                                            {field_error(member_error, "birth_year")}
                                            <label>{t!(i18n, party.joined_party)} <input type="date" name="joined_party" required /></label>
                                            {field_error(member_error, "joined_party")}
                                            <label>{t!(i18n, party.phone)} <input type="tel" name="phone" maxlength="20" autocomplete="tel" required /></label>
                                            {field_error(member_error, "phone")}
                                            <label>{t!(i18n, party.work_unit)}
                                                <select name="work_unit_id">
                                                    {units.into_iter().map(|u| view! { <option value=u.id>{u.name}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            {field_error(member_error, "work_unit_id")}
                                            <label>{t!(i18n, party.position)} <input type="text" name="position" maxlength="60" /></label>
                                            <label>{t!(i18n, party.home)}
                                                <select name="home_id">
                                                    {homes.into_iter().map(|h| view! { <option value=h.id>{h.label}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            {field_error(member_error, "home_id")}
                                            <label>{t!(i18n, party.address)} <input type="text" name="address" maxlength="60" required /></label>
                                            {field_error(member_error, "address")}
                                            <label>{t!(i18n, party.skills)} <textarea name="skills" rows="2" maxlength="500"></textarea></label>
                                            {field_error(member_error, "skills")}
                                            <label>{t!(i18n, party.username)} <input type="text" name="username" maxlength="32" autocomplete="username" required /></label>
                                            {field_error(member_error, "username")}
                                            <label>{t!(i18n, party.password)} <input type="password" name="password" maxlength="128" autocomplete="new-password" required /></label>
                                            {field_error(member_error, "password")}
                                            {move || member_error.get().filter(|e| e.field("username").is_none() && e.field("password").is_none()).map(|e| view! { <ErrorNote error=e /> })}
                                            <button type="submit">{t!(i18n, party.submit_member)}</button>
                                        </ActionForm>
                                    }
                                }>
                                    <p class="card success" role="status" data-testid="member-submitted">{t!(i18n, party.submitted)}</p>
                                </Show>
                                <Show when=unit_done fallback=move || {
                                    let communities = communities.clone();
                                    view! {
                                        <ActionForm action=unit attr:class="action card" attr:data-action="register_unit">
                                            <h2>{t!(i18n, party.unit_form)}</h2>
                                            <label>{t!(i18n, party.unit_name)} <input type="text" name="name" maxlength="60" required /></label>
                                            {field_error(unit_error, "name")}
                                            <label>{t!(i18n, party.party_org)} <input type="text" name="party_org" maxlength="60" required /></label>
                                            {field_error(unit_error, "party_org")}
                                            <label>{t!(i18n, party.unit_members)} <input type="number" name="members" min="1" required /></label>
                                            {field_error(unit_error, "members")}
                                            <label>{t!(i18n, party.contact_name)} <input type="text" name="contact_name" maxlength="30" required /></label>
                                            {field_error(unit_error, "contact_name")}
                                            <label>{t!(i18n, party.contact_phone)} <input type="tel" name="contact_phone" maxlength="20" required /></label>
                                            {field_error(unit_error, "contact_phone")}
                                            <label>{t!(i18n, party.community)}
                                                <select name="community_id">
                                                    {communities.into_iter().map(|c| view! { <option value=c.id>{c.label}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            {field_error(unit_error, "community_id")}
                                            <button type="submit">{t!(i18n, party.submit_unit)}</button>
                                        </ActionForm>
                                    }
                                }>
                                    <p class="card success" role="status">{t!(i18n, party.unit_submitted)}</p>
                                </Show>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/party/receipt/:kind/:id`: the receipt (回执) to print.
#[component]
pub fn ReceiptPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let receipt = Resource::new(
        move || {
            let p = params.read();
            (
                p.get("kind").unwrap_or_default(),
                p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0),
            )
        },
        |(kind, id)| party_receipt(kind, id),
    );
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match receipt.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(r) => view! {
                        <article class="receipt card" data-testid="party-receipt">
                            <h1>{move || if r.member { td_string!(i18n.get_locale(), party.receipt_title) } else { td_string!(i18n.get_locale(), party.unit_receipt_title) }}</h1>
                            <dl>
                                <dt>{t!(i18n, party.receipt_no)}</dt><dd data-testid="receipt-no">{r.receipt_no.clone()}</dd>
                                <dt>{t!(i18n, party.display_name)}</dt><dd>{r.name.clone()}</dd>
                                <dt>{t!(i18n, party.work_unit)}</dt><dd>{r.unit.clone()}</dd>
                                <dt>{t!(i18n, party.party_org)}</dt><dd>{r.party_org.clone()}</dd>
                                <dt>{t!(i18n, party.community)}</dt><dd>{r.community.clone()}</dd>
                                {(!r.address.is_empty()).then(|| view! { <dt>{t!(i18n, party.address)}</dt><dd>{r.address.clone()}</dd> })}
                                <dt>{t!(i18n, party.registered_at)}</dt><dd>{fmt_time(r.registered_at)}</dd>
                                <dt>{t!(i18n, party.confirmed_at)}</dt><dd>{fmt_time(r.confirmed_at)}</dd>
                            </dl>
                            <p>{t!(i18n, party.receipt_text)}</p>
                            <p class="no-print">
                                <button type="button" onclick="window.print()">{t!(i18n, party.print)}</button>
                            </p>
                        </article>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
