//! Deterministic demo data: a city from the source document's names, its
//! stations and units, and about 200 cases spread over every step, route and
//! deadline state. Residents are invented.
//!
//! The same seed gives the same cases, codes and texts every time; times are
//! laid out backwards from the moment of loading so that deadlines stay
//! realistic (some on track, some due soon, some overdue) whenever it is run.

use crate::cases;
use crate::db::Stored;
use crate::events::By;
use crate::open311;
use crate::reference::{self, NewCategory};
use crate::users::{self, NewUser};
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Duration, Utc};
use domain::open311::{AttributeType, AttributeValue, ServiceAttribute};
use domain::{
    Action, Actor, DeadlineClass, NewCase, Rating, RegionLevel, Role, SecondFactor, Source, Tier,
    TrackingCode,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const DEMO_PASSWORD: &str = "lianxin-demo";
/// The demo's Open311 key, published like the demo password.
pub const DEMO_API_KEY_NAME: &str = "demo";
pub const DEMO_API_KEY: &str = "lianxin-demo-open311-key";

/// Extra fields of two categories, so the Open311 service definitions have
/// attributes: (category, code, datatype, required, description, choices).
type AttributeSeed = (
    &'static str,
    &'static str,
    AttributeType,
    bool,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const ATTRIBUTES: [AttributeSeed; 2] = [
    (
        "lighting",
        "pole_number",
        AttributeType::String,
        false,
        "灯杆编号（灯杆上喷涂的编号）",
        &[],
    ),
    (
        "water",
        "supply",
        AttributeType::SingleValueList,
        true,
        "受影响的是哪一路水",
        &[("cold", "自来水"), ("hot", "热水"), ("drain", "排水")],
    ),
];

/// Where a demo account works.
#[derive(Clone, Copy)]
enum Seat {
    City,
    /// The first community (袁家庄社区).
    Community,
    /// A unit, by its index in `UNITS`.
    Unit(usize),
    /// The first community's station.
    Station,
    /// The first community's first grid.
    Grid,
}

/// Demo party members who register themselves with the published password.
const DEMO_MEMBERS: [&str; 3] = ["member", "liwenbin", "zhangxy"];

/// The demo accounts that still sign in with the published password: on a
/// network they are anyone's. Only the demo's own usernames are tried, so
/// the check costs a few hashes however many accounts a city has.
pub async fn accounts_with_published_password(pool: &Pool) -> Result<Vec<String>> {
    let names = ACCOUNTS
        .iter()
        .map(|a| a.username)
        .chain(DEMO_MEMBERS)
        .map(String::from);
    let mut qb = crate::db::Builder::new(
        "SELECT username, password_hash FROM users WHERE disabled_at IS NULL",
    );
    crate::push_in(&mut qb, "username", names);
    qb.push(" ORDER BY username");
    let rows: Vec<(String, String)> = qb.build_query_as()?.fetch_all(pool).await?;
    let mut exposed = Vec::new();
    for (username, hash) in rows {
        if users::password_matches(&hash, DEMO_PASSWORD).await {
            exposed.push(username);
        }
    }
    Ok(exposed)
}

/// A demo account, as the README lists it.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub place: &'static str,
    seat: Seat,
}

const fn account(
    username: &'static str,
    display_name: &'static str,
    role: Role,
    place: &'static str,
    seat: Seat,
) -> DemoAccount {
    DemoAccount {
        username,
        display_name,
        role,
        place,
        seat,
    }
}

pub const ACCOUNTS: [DemoAccount; 7] = [
    account("admin", "系统管理员", Role::Admin, "吕梁市", Seat::City),
    account(
        "director",
        "李卫东（袁家庄社区主任）",
        Role::Director,
        "袁家庄社区",
        Seat::Community,
    ),
    account(
        "handler",
        "城管局经办人 赵磊",
        Role::Handler,
        "离石区城市管理局",
        Seat::Unit(0),
    ),
    account(
        "handler2",
        "住建局经办人 钱芳",
        Role::Handler,
        "离石区住房和城乡建设局",
        Seat::Unit(1),
    ),
    account(
        "deputy",
        "人大代表 孙丽萍",
        Role::Deputy,
        "袁家庄社区人大代表联络站",
        Seat::Station,
    ),
    account(
        "leader",
        "市委督查室 周明",
        Role::Leader,
        "吕梁市",
        Seat::City,
    ),
    account(
        "grid",
        "网格员 冯晓燕",
        Role::GridWorker,
        "袁家庄社区 第一网格",
        Seat::Grid,
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds data; use --force to replace it with the demo")]
    NotEmpty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DemoError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Whether anything but the schema is there.
pub async fn has_data(pool: &Pool) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM cases) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM regions)",
    )
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

async fn wipe(pool: &Pool) -> Result<()> {
    let mut tx = pool.begin().await?;
    for table in [
        "photos",
        "outbox",
        "throttle",
        "reminders",
        "supervision_letters",
        "extensions",
        "coordination_updates",
        "commitments",
        "session_attendees",
        "station_members",
        "wish_events",
        "wishes",
        "service_logs",
        "need_claims",
        "needs",
        "party_members",
        "unit_registrations",
        "work_units",
        "party_orgs",
        "open311_requests",
        "api_keys",
        "audit_log",
        "login_failures",
        "case_events",
        "cases",
        "sessions",
        "coordination_items",
        "users",
        "category_attributes",
        "categories",
        "stations",
        "units",
        "regions",
        "calendar_days",
        "settings",
    ] {
        // Children before parents; regions reference themselves, so clear the links first.
        if table == "regions" || table == "party_orgs" {
            sqlx::query(&format!("UPDATE {table} SET parent_id = NULL"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
        if table == "audit_log" {
            // A new chain for the new demo.
            sqlx::query("UPDATE audit_head SET last_id = 0, hash = $1")
                .bind(crate::audit::GENESIS)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

struct Community {
    name: &'static str,
    street: usize,
    grids: [(&'static str, [&'static str; 2]); 2],
}

const STREETS: [&str; 2] = ["凤山街道", "滨河街道"];

const COMMUNITIES: [Community; 4] = [
    Community {
        name: "袁家庄社区",
        street: 0,
        grids: [
            ("第一网格", ["袁家庄小区", "凤山苑"]),
            ("第二网格", ["龙凤花园", "袁家庄南区"]),
        ],
    },
    Community {
        name: "生态园社区",
        street: 0,
        grids: [
            ("第一网格", ["祥和小区", "生态园小区"]),
            ("第二网格", ["绿园小区", "景苑小区"]),
        ],
    },
    Community {
        name: "永宁社区",
        street: 1,
        grids: [
            ("第一网格", ["益众小区", "永宁花园"]),
            ("第二网格", ["滨河小区", "康宁苑"]),
        ],
    },
    Community {
        name: "交通路社区",
        street: 1,
        grids: [
            ("第一网格", ["交通路小区", "建设小区"]),
            ("第二网格", ["东关小区", "丰盛苑"]),
        ],
    },
];

const UNITS: [(&str, &str); 12] = [
    ("离石区城市管理局", "department"),
    ("离石区住房和城乡建设局", "department"),
    ("离石区民政局", "department"),
    ("离石区卫生健康局", "department"),
    ("离石区交通运输局", "department"),
    ("离石区市场监督管理局", "department"),
    ("吕梁市供水公司", "utility"),
    ("吕梁市热力公司", "utility"),
    ("国网吕梁供电公司", "utility"),
    ("凤山街道办事处", "street_office"),
    ("滨河街道办事处", "street_office"),
    ("吕梁宜居物业服务有限公司", "property"),
];

/// (code, 中文, English, default tier, default unit index, class, sample titles).
type CategorySeed = (
    &'static str,
    &'static str,
    &'static str,
    Tier,
    usize,
    DeadlineClass,
    [&'static str; 3],
);

const CATEGORIES: [CategorySeed; 10] = [
    (
        "road",
        "道路维修",
        "Roads and alleys",
        Tier::District,
        1,
        DeadlineClass::Ordinary,
        ["小巷路面坑洼积水", "人行道砖松动", "楼前道路破损"],
    ),
    (
        "lighting",
        "路灯照明",
        "Street lighting",
        Tier::Street,
        0,
        DeadlineClass::Ordinary,
        ["路灯不亮", "巷口没有照明", "路灯夜间闪烁"],
    ),
    (
        "water",
        "供水",
        "Water supply",
        Tier::District,
        6,
        DeadlineClass::Urgent,
        ["楼内停水两天", "水压低上不了楼", "管道漏水"],
    ),
    (
        "heating",
        "供暖",
        "Heating",
        Tier::District,
        7,
        DeadlineClass::Urgent,
        ["暖气不热", "供暖管道漏水", "单元暖气未通"],
    ),
    (
        "sanitation",
        "环境卫生",
        "Sanitation and flyers",
        Tier::Compound,
        0,
        DeadlineClass::Ordinary,
        ["楼道小广告多", "垃圾清运不及时", "环卫工人缺少休息场所"],
    ),
    (
        "renovation",
        "老旧小区改造",
        "Old compound renovation",
        Tier::District,
        1,
        DeadlineClass::Complex,
        ["老旧卫生间修缮", "外墙保温脱落", "单元门禁损坏"],
    ),
    (
        "elderly",
        "养老服务",
        "Care for the elderly",
        Tier::Community,
        2,
        DeadlineClass::Complex,
        ["空巢老人无人照料", "日间照料中心服务少", "老人就餐不便"],
    ),
    (
        "health",
        "医疗卫生",
        "Health",
        Tier::Community,
        3,
        DeadlineClass::Ordinary,
        ["希望开展健康巡访", "行动不便老人看病难", "社区卫生站药品少"],
    ),
    (
        "amenities",
        "便民设施",
        "Amenities",
        Tier::Street,
        9,
        DeadlineClass::Ordinary,
        ["希望设置快递取件柜", "缺少绿地游园", "设立爱心驿站"],
    ),
    (
        "property",
        "物业管理",
        "Property management",
        Tier::Compound,
        11,
        DeadlineClass::Ordinary,
        ["电梯经常故障", "车辆乱停乱放", "楼顶漏雨物业不管"],
    ),
];

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "郭", "任", "高", "马", "孙", "冯",
];
const GIVEN: [&str; 20] = [
    "丽华", "建国", "秀英", "志强", "春梅", "海燕", "国庆", "玉兰", "文斌", "小红", "永刚", "桂芳",
    "晓东", "淑珍", "明亮", "红霞", "俊杰", "凤英", "立新", "雪梅",
];

/// The end state a demo case is driven to.
#[derive(Clone, Copy, Debug)]
enum Plot {
    Registered,
    Consolidating,
    OnTheSpot,
    AwaitingAck,
    InProgress,
    ClosureRequested,
    Local,
    Escalated,
    Suggestion,
    Returned,
    FeedbackDue,
    AwaitingRating,
    Rework,
    Satisfied,
    Fairly,
    NotRated,
    NotAccepted,
    Merged,
}

/// Roughly the seed's shape: about half of what was collected is closed.
const PLOTS: [(Plot, u32); 18] = [
    (Plot::Registered, 8),
    (Plot::Consolidating, 8),
    (Plot::OnTheSpot, 4),
    (Plot::AwaitingAck, 10),
    (Plot::InProgress, 18),
    (Plot::ClosureRequested, 8),
    (Plot::Local, 8),
    (Plot::Escalated, 4),
    (Plot::Suggestion, 3),
    (Plot::Returned, 4),
    (Plot::FeedbackDue, 6),
    (Plot::AwaitingRating, 8),
    (Plot::Rework, 5),
    (Plot::Satisfied, 60),
    (Plot::Fairly, 24),
    (Plot::NotRated, 8),
    (Plot::NotAccepted, 4),
    (Plot::Merged, 3),
];

pub const CASES: usize = 200;

/// Loads the demo into `pool`, refusing a database with data unless `force`.
pub async fn load(pool: &Pool, force: bool, now: DateTime<Utc>) -> Result<(), DemoError> {
    if has_data(pool).await? {
        if !force {
            return Err(DemoError::NotEmpty);
        }
        wipe(pool).await?;
    }
    let city = reference::insert_region(pool, None, RegionLevel::City, "吕梁市").await?;
    let district =
        reference::insert_region(pool, Some(city), RegionLevel::District, "离石区").await?;
    let mut streets = Vec::new();
    for s in STREETS {
        streets.push(reference::insert_region(pool, Some(district), RegionLevel::Street, s).await?);
    }
    let mut units = Vec::new();
    for (name, kind) in UNITS {
        units.push(reference::insert_unit(pool, name, kind).await?);
    }
    let mut categories = Vec::new();
    for (code, zh, en, tier, unit, class, titles) in CATEGORIES {
        let id = reference::insert_category(
            pool,
            NewCategory {
                code,
                name_zh: zh,
                name_en: en,
                default_tier: tier,
                default_unit_id: Some(units[unit]),
                deadline_class: class,
            },
        )
        .await?;
        categories.push((id, units[unit], class, titles));
    }

    for (n, (category, code, datatype, required, description, choices)) in
        ATTRIBUTES.into_iter().enumerate()
    {
        let index = CATEGORIES.iter().position(|c| c.0 == category).unwrap_or(0);
        let position = ATTRIBUTES[..n].iter().filter(|a| a.0 == category).count();
        let attribute = ServiceAttribute {
            code: code.into(),
            datatype,
            required,
            description: description.into(),
            order: position as i64 + 1,
            values: choices
                .iter()
                .map(|(k, n)| AttributeValue {
                    key: (*k).into(),
                    name: (*n).into(),
                })
                .collect(),
        };
        reference::insert_attribute(pool, categories[index].0, &attribute).await?;
    }
    open311::create_key_with(
        pool,
        &By::named("demo"),
        DEMO_API_KEY_NAME,
        DEMO_API_KEY,
        now,
    )
    .await?;

    // (community id, station id, [(grid id, [compound/building ids])])
    let mut places = Vec::new();
    let mut compounds_placed = 0u32;
    for c in &COMMUNITIES {
        let community = reference::insert_region(
            pool,
            Some(streets[c.street]),
            RegionLevel::Community,
            c.name,
        )
        .await?;
        let station = reference::insert_station(
            pool,
            &format!("{}人大代表联络站", c.name),
            community,
            &format!("{}党群服务中心一层", c.name),
        )
        .await?;
        let mut leaves = Vec::new();
        let mut grids = Vec::new();
        for (grid_name, compounds) in c.grids {
            let grid =
                reference::insert_region(pool, Some(community), RegionLevel::Grid, grid_name)
                    .await?;
            grids.push(grid);
            for compound in compounds {
                let cp =
                    reference::insert_region(pool, Some(grid), RegionLevel::Compound, compound)
                        .await?;
                // Compounds about 400 m apart around the centre of Lishi.
                let n = f64::from(compounds_placed);
                reference::set_position(
                    pool,
                    cp,
                    37.5177 + 0.0036 * (n % 4.0),
                    111.1443 + 0.0045 * (n / 4.0).floor(),
                )
                .await?;
                compounds_placed += 1;
                leaves.push(cp);
                for b in ["1号楼", "2号楼"] {
                    leaves.push(
                        reference::insert_region(pool, Some(cp), RegionLevel::Building, b).await?,
                    );
                }
            }
        }
        places.push((c.name, community, station, grids, leaves));
    }

    // One hash for every demo account: they share a published password anyway,
    // and hashing once keeps `lianxin demo` fast.
    let hash = users::password_hash_of(DEMO_PASSWORD).await?;
    let (_, yjz, yjz_station, yjz_grids, _) = &places[0];
    let mut director = None;
    for a in &ACCOUNTS {
        let (region_id, unit_id, station_id) = match a.seat {
            Seat::City => (Some(city), None, None),
            Seat::Community => (Some(*yjz), None, None),
            Seat::Unit(i) => (None, Some(units[i]), None),
            Seat::Station => (Some(*yjz), None, Some(*yjz_station)),
            Seat::Grid => (Some(yjz_grids[0]), None, None),
        };
        let id = users::create_user(
            pool,
            NewUser {
                username: a.username,
                display_name: a.display_name,
                password_hash: &hash,
                role: a.role,
                region_id,
                unit_id,
                station_id,
            },
        )
        .await?;
        if a.role == Role::Director {
            director = users::find_by_id(pool, id).await?;
        }
    }

    let mut rng = StdRng::seed_from_u64(2026_0630);
    let total: u32 = PLOTS.iter().map(|(_, w)| w).sum();
    let mut open_codes: Vec<(usize, TrackingCode)> = Vec::new();
    for i in 0..CASES {
        let mut pick = (i as u32 * 7919) % total;
        let plot = PLOTS
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(p, _)| *p)
            .unwrap_or(Plot::Satisfied);
        let place = rng.gen_range(0..places.len());
        let (community_name, _, station, _, leaves) = &places[place];
        let region = leaves[rng.gen_range(0..leaves.len())];
        let (category_id, default_unit, class, titles) =
            categories[rng.gen_range(0..categories.len())];
        let title = titles[rng.gen_range(0..titles.len())];
        let name = format!(
            "{}{}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        );
        let phone = format!(
            "13{}{:08}",
            rng.gen_range(0..10),
            rng.gen_range(0..100_000_000u32)
        );
        let source = Source::AT_INTAKE[rng.gen_range(0..Source::AT_INTAKE.len())];
        let closed = matches!(
            plot,
            Plot::Satisfied | Plot::Fairly | Plot::NotRated | Plot::NotAccepted | Plot::Merged
        );
        // Closed cases reach further back; open ones are recent enough to be on track or just overdue.
        let days_ago = if closed {
            rng.gen_range(12..75)
        } else {
            rng.gen_range(0..14)
        };
        let mut t = now - Duration::days(days_ago) - Duration::hours(rng.gen_range(1..10));
        let code = TrackingCode::from_random(rng.r#gen());
        let pin = SecondFactor::pin_from_random(rng.r#gen());
        let new = NewCase {
            title: title.into(),
            description: format!("{community_name}居民反映：{title}，希望尽快解决。"),
            category_id,
            region_id: region,
            station_id: Some(*station),
            source,
            resident_name: name,
            resident_phone: phone,
            resident_email: String::new(),
            notify: false,
        };
        cases::create_with_code(pool, &new, None, None, t, code.clone(), pin).await?;
        let station_by = if place == 0 {
            director
                .as_ref()
                .map(By::user)
                .unwrap_or_else(|| By::named("联络站"))
        } else {
            By::named(&format!("{community_name}联络站"))
        };
        let unit = if class == DeadlineClass::Urgent || rng.gen_bool(0.7) {
            default_unit
        } else {
            units[rng.gen_range(0..units.len())]
        };
        let unit_by = By::named(UNITS[units.iter().position(|u| *u == unit).unwrap_or(0)].0);
        let resident = By::resident();
        let supervisor = By::named("市委督查室");
        let steps = script(plot, unit, class, &open_codes, place);
        let step_hours = |rng: &mut StdRng, t: DateTime<Utc>| {
            let next = t + Duration::hours(rng.gen_range(2..40));
            std::cmp::min(next, now - Duration::minutes(5))
        };
        for (action, actor) in steps {
            t = step_hours(&mut rng, t);
            let by = match actor {
                Actor::Station | Actor::Deputy | Actor::System => &station_by,
                Actor::Unit => &unit_by,
                Actor::Supervisor => &supervisor,
                Actor::Resident => &resident,
            };
            let row = cases::load(pool, &code).await?;
            cases::apply(pool, &row, &action, actor, by, t).await?;
        }
        if !closed && open_codes.len() < 40 {
            open_codes.push((place, code));
        }
    }
    escalate(pool, now).await?;
    sessions(pool, now).await?;
    wishes(pool, now).await?;
    party(pool, now).await?;
    opt_in_to_texts(pool).await?;
    Ok(())
}

/// Party organisations following the tree (a committee per community, a
/// branch per compound, a group per building), three work units registered
/// with 袁家庄社区, its need list, and members: `member` confirmed with
/// nothing claimed yet, 李文斌 serving with hours logged and evaluated, and
/// one registration waiting for the director.
async fn party(pool: &Pool, now: DateTime<Utc>) -> Result<(), DemoError> {
    use crate::party;
    use domain::party::{
        ClaimAction, Decision, MemberForm, NewNeed, NewOrg, OrgKind, Registrant, UnitForm,
    };
    let (Some(admin), Some(director)) = (
        users::find_by_username(pool, "admin").await?,
        users::find_by_username(pool, "director").await?,
    ) else {
        return Ok(());
    };
    let nodes: Vec<(i64, Option<i64>, String, String)> = sqlx::query_as(
        "SELECT id, parent_id, level, name FROM regions \
         WHERE level IN ('community', 'compound', 'building') ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let secretaries = [
        "高卫平",
        "王梦霞",
        "刘建华",
        "张秀兰",
        "赵国强",
        "陈玉梅",
        "杨志刚",
        "吴桂英",
    ];
    let mut org_of_node = std::collections::HashMap::new();
    let mut grid_of_compound = std::collections::HashMap::new();
    for (i, (id, parent, level, name)) in nodes.iter().enumerate() {
        let (kind, parent_org, org_name) = match level.as_str() {
            "community" => (OrgKind::Committee, None, format!("{name}党委")),
            "compound" => {
                // A compound's branch hangs under its community's committee (via its grid).
                let grid = parent.unwrap_or_default();
                let community: i64 =
                    sqlx::query_scalar("SELECT parent_id FROM regions WHERE id = $1")
                        .bind(grid)
                        .fetch_one(pool)
                        .await?;
                grid_of_compound.insert(*id, community);
                (
                    OrgKind::Branch,
                    org_of_node.get(&community).copied(),
                    format!("{name}党支部"),
                )
            }
            _ => {
                let compound = parent.unwrap_or_default();
                let compound_name: String =
                    sqlx::query_scalar("SELECT name FROM regions WHERE id = $1")
                        .bind(compound)
                        .fetch_one(pool)
                        .await?;
                (
                    OrgKind::Group,
                    org_of_node.get(&compound).copied(),
                    format!("{compound_name}{name}党小组"),
                )
            }
        };
        let org = NewOrg {
            kind,
            name: org_name,
            region_id: *id,
            parent_id: parent_org,
            secretary: secretaries[i % secretaries.len()].into(),
            // Retired cadres lead most compound branches, as in the seed.
            secretary_retired: kind == OrgKind::Branch && i % 3 != 0,
            members: match kind {
                OrgKind::Committee => 120,
                OrgKind::Branch => 18,
                OrgKind::Group => 6,
            },
        };
        let org_id = party::add_org(pool, &admin, &org, now - Duration::days(60)).await?;
        org_of_node.insert(*id, org_id);
    }

    let yjz = director.region_id.unwrap_or_default();
    let units = [
        (
            "吕梁市委办公室",
            "中共吕梁市委办公室机关党支部",
            "刘晓东",
            "13500001001",
            "42",
        ),
        (
            "离石区城市管理局",
            "离石区城市管理局机关党总支",
            "马俊",
            "13500001002",
            "65",
        ),
        (
            "吕梁市人民医院",
            "吕梁市人民医院党委",
            "白雪",
            "13500001003",
            "310",
        ),
    ];
    for (i, (name, org, contact, phone, members)) in units.into_iter().enumerate() {
        let at = now - Duration::days(40 - i as i64);
        let form = UnitForm {
            name: name.into(),
            party_org: org.into(),
            contact_name: contact.into(),
            contact_phone: phone.into(),
            community_id: yjz.to_string(),
            members: members.into(),
        };
        let reg = party::register_unit(pool, &form, at).await?;
        if i < 2 {
            party::decide_registration(
                pool,
                &director,
                Registrant::Unit,
                reg,
                Decision::Confirm,
                at,
            )
            .await?;
        }
    }
    let unit_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM work_units ORDER BY id")
        .fetch_all(pool)
        .await?;
    let home: i64 = sqlx::query_scalar(
        "SELECT id FROM regions WHERE level = 'compound' AND path LIKE $1 ORDER BY id LIMIT 1",
    )
    .bind(format!(
        "{}%",
        director.region_path.clone().unwrap_or_default()
    ))
    .fetch_one(pool)
    .await?;
    let member = |username: &str, name: &str, unit: i64, phone: &str| MemberForm {
        username: username.into(),
        password: DEMO_PASSWORD.into(),
        display_name: name.into(),
        gender: "male".into(),
        birth_year: "1978".into(),
        phone: phone.into(),
        home_id: home.to_string(),
        address: "1号楼 2单元 301".into(),
        work_unit_id: unit.to_string(),
        position: "科员".into(),
        joined_party: "2001-07-01".into(),
        skills: "政策宣讲、矛盾调解".into(),
    };
    let registered = now - Duration::days(30);
    let demo_member = party::register_member(
        pool,
        &member(
            DEMO_MEMBERS[0],
            "在职党员 王建国",
            unit_ids[0],
            "13600001001",
        ),
        registered,
    )
    .await?;
    party::decide_registration(
        pool,
        &director,
        Registrant::Member,
        demo_member,
        Decision::Confirm,
        registered,
    )
    .await?;
    let serving = party::register_member(
        pool,
        &member(
            DEMO_MEMBERS[1],
            "在职党员 李文斌",
            unit_ids[1],
            "13600001002",
        ),
        registered,
    )
    .await?;
    party::decide_registration(
        pool,
        &director,
        Registrant::Member,
        serving,
        Decision::Confirm,
        registered,
    )
    .await?;
    party::register_member(
        pool,
        &MemberForm {
            gender: "female".into(),
            ..member(DEMO_MEMBERS[2], "张晓燕", unit_ids[2], "13600001003")
        },
        now - Duration::days(2),
    )
    .await?;

    let needs = [
        (
            "急需增设办公和活动场所",
            "社区办公用房不足 200 平方米，居民活动无固定场所",
        ),
        ("规范小区车辆停放", "袁家庄小区车辆乱停，消防通道常被占用"),
        ("加强物业管理", "弃管楼院多，需要协调物业服务"),
        ("楼道小广告集中清理", "组团式攻坚：铲除楼道、墙面乱张贴"),
    ];
    let mut need_ids = Vec::new();
    for (title, detail) in needs {
        let new = NewNeed {
            community_id: yjz,
            title: title.into(),
            detail: detail.into(),
        };
        need_ids.push(party::add_need(pool, &director, &new, now - Duration::days(35)).await?);
    }
    let Some(liwenbin) = users::find_by_username(pool, "liwenbin").await? else {
        return Ok(());
    };
    let claimed = now - Duration::days(20);
    let claim = party::claim(
        pool,
        &liwenbin,
        need_ids[3],
        "每月组织单位党员清理一次",
        claimed,
    )
    .await?;
    party::act_on_claim(
        pool,
        &director,
        claim,
        ClaimAction::Approve,
        None,
        "",
        claimed,
    )
    .await?;
    let china = domain::deadline::china();
    for (days_ago, hours, note) in [
        (15, "3", "清理 1—4 号楼楼道小广告"),
        (8, "2.5", "铲除墙面涂写"),
    ] {
        let day = (now - Duration::days(days_ago))
            .with_timezone(&china)
            .date_naive();
        party::log_service(
            pool,
            &liwenbin,
            claim,
            &day.to_string(),
            hours,
            note,
            now - Duration::days(days_ago),
        )
        .await?;
    }
    party::act_on_claim(
        pool,
        &director,
        claim,
        ClaimAction::Evaluate,
        Some(domain::Rating::Satisfied),
        "楼道明显干净了，居民满意",
        now - Duration::days(5),
    )
    .await?;
    Ok(())
}

/// Three micro-wishes of the demo grid: one waiting to be checked, one on
/// the wall, one claimed.
async fn wishes(pool: &Pool, now: DateTime<Utc>) -> Result<(), DemoError> {
    use domain::wish::{NewWish, WishAction};
    let Some(grid) = crate::users::find_by_username(pool, "grid").await? else {
        return Ok(());
    };
    let Some(compound) = sqlx::query_scalar::<_, i64>(
        "SELECT id FROM regions WHERE level = 'compound' AND path LIKE $1 ORDER BY id LIMIT 1",
    )
    .bind(format!("{}%", grid.region_path.clone().unwrap_or_default()))
    .fetch_optional(pool)
    .await?
    else {
        return Ok(());
    };
    let wishes = [
        (
            "希望有人帮忙更换家里的旧灯泡",
            "独居老人，行动不便",
            "赵桂兰",
            "13700001001",
            vec![],
        ),
        (
            "想要一套小学五年级课外读物",
            "留守儿童，父母在外务工",
            "孙明亮",
            "13700001002",
            vec![WishAction::Verify],
        ),
        (
            "希望每周有人陪老人聊聊天",
            "老人独居，子女在外地",
            "周淑珍",
            "13700001003",
            vec![WishAction::Verify, WishAction::Claim],
        ),
    ];
    for (i, (title, detail, name, phone, steps)) in wishes.into_iter().enumerate() {
        let at = now - Duration::days(10 - i as i64 * 3);
        let new = NewWish {
            title: title.into(),
            detail: detail.into(),
            region_id: compound,
            resident_name: name.into(),
            resident_phone: phone.into(),
        };
        let id = crate::wishes::collect(pool, &grid, &new, at).await?;
        for step in steps {
            crate::wishes::act(pool, &grid, id, step, "袁家庄社区在职党员 李文斌", at).await?;
        }
    }
    Ok(())
}

/// The demo station's deputy and leader, a session held three weeks ago
/// where three of its requests were heard and a promise was made, and the
/// next session in five days.
async fn sessions(pool: &Pool, now: DateTime<Utc>) -> Result<(), DemoError> {
    let (Some(deputy), Some(leader), Some(director)) = (
        crate::users::find_by_username(pool, "deputy").await?,
        crate::users::find_by_username(pool, "leader").await?,
        crate::users::find_by_username(pool, "director").await?,
    ) else {
        return Ok(());
    };
    let Some(station) = deputy.station_id else {
        return Ok(());
    };
    crate::sessions::add_member(pool, station, deputy.id, "deputy").await?;
    crate::sessions::add_member(pool, station, leader.id, "leader").await?;
    sqlx::query(
        "UPDATE stations SET opening_hours = '工作日 9:00–17:00；每月第二个周四晚 19:30 接待日'",
    )
    .execute(pool)
    .await?;
    let held = now - Duration::days(21);
    let past: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (station_id, starts_at, ends_at, topic, status, residents_present, \
         minutes, created_by, created_at, closed_at) VALUES ($1, $2, $3, '民生实事面对面', 'closed', 23, \
         '听取居民意见建议，现场登记问题 5 件，领导当场作出承诺 1 项。', $4, $5, $3) RETURNING id",
    )
    .bind(station)
    .bind(held.stored())
    .bind((held + Duration::hours(2)).stored())
    .bind(director.id)
    .bind((held - Duration::days(7)).stored())
    .fetch_one(pool)
    .await?;
    for who in [leader.id, deputy.id] {
        sqlx::query("INSERT INTO session_attendees (session_id, user_id) VALUES ($1, $2)")
            .bind(past)
            .bind(who)
            .execute(pool)
            .await?;
    }
    let heard: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM cases WHERE station_id = $1 AND status NOT IN ('merged') ORDER BY id LIMIT 5",
    )
    .bind(station)
    .fetch_all(pool)
    .await?;
    // The leader and the deputy each heard some of the session's requests:
    // both have a record of their own to prepare the next one with.
    for (n, id) in heard.iter().enumerate() {
        let by = if n % 2 == 0 { leader.id } else { deputy.id };
        sqlx::query(
            "UPDATE cases SET session_id = $1, heard_by = $2, source = 'station_session' WHERE id = $3",
        )
        .bind(past)
        .bind(by)
        .bind(id)
        .execute(pool)
        .await?;
    }
    sqlx::query(
        "INSERT INTO commitments (session_id, user_id, case_id, text, due_on, created_at) \
         VALUES ($1, $2, $3, '两周内协调解决', $4, $5)",
    )
    .bind(past)
    .bind(leader.id)
    .bind(heard.first())
    .bind(
        (held + Duration::days(14))
            .with_timezone(&domain::deadline::china())
            .date_naive()
            .stored(),
    )
    .bind(held.stored())
    .execute(pool)
    .await?;
    let next = (now + Duration::days(5)).with_timezone(&domain::deadline::china());
    let starts = next
        .date_naive()
        .and_hms_opt(19, 30, 0)
        .and_then(|t| t.and_local_timezone(domain::deadline::china()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + Duration::days(5));
    let form = domain::session::SessionForm {
        starts_at: Some(starts),
        hours: 2,
        topic: "老旧小区改造听证".into(),
        attendees: vec![leader.id, deputy.id],
    };
    crate::sessions::schedule(pool, &director, station, &form, now).await?;
    Ok(())
}

/// A third of the residents with an open case asked for text messages at
/// intake. Marked after their history was written, so starting the demo
/// sends no backlog of weeks-old texts: only the steps taken from now on.
async fn opt_in_to_texts(pool: &Pool) -> Result<(), DemoError> {
    sqlx::query(
        "UPDATE cases SET notify = 1 WHERE id % 3 = 0 AND status NOT IN ('closed', 'merged')",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One escalated item (市级统筹) over two open cases of the demo
/// community, with a first progress update, so the list is not empty.
async fn escalate(pool: &Pool, now: DateTime<Utc>) -> Result<(), DemoError> {
    let Some(leader) = crate::users::find_by_username(pool, "leader").await? else {
        return Ok(());
    };
    let Some(director) = crate::users::find_by_username(pool, "director").await? else {
        return Ok(());
    };
    let open: Vec<String> = cases::list(pool, &director, &Default::default(), now)
        .await?
        .into_iter()
        .filter(|c| c.status.clock_runs())
        .map(|c| c.code)
        .take(2)
        .collect();
    let Some(unit) = reference::units(pool).await?.first().map(|u| u.id) else {
        return Ok(());
    };
    if open.len() < 2 {
        return Ok(());
    }
    let form = domain::coordination::ItemForm {
        title: "老旧小区公共设施统筹整治".into(),
        measure: "纳入年度老旧小区改造计划，建立季度联合排查、问题清单销号制度".into(),
        unit_id: Some(unit),
        codes: open,
    };
    let id = crate::coordination::create(pool, &leader, &form, now - Duration::days(2)).await?;
    crate::coordination::update(
        pool,
        &leader,
        id,
        domain::coordination::ItemStatus::InProgress,
        "已召开联席会议，明确牵头单位和完成时限",
        now - Duration::days(1),
    )
    .await?;
    Ok(())
}

fn script(
    plot: Plot,
    unit: i64,
    class: DeadlineClass,
    open: &[(usize, TrackingCode)],
    place: usize,
) -> Vec<(Action, Actor)> {
    use Actor::*;
    let t = |s: &str| s.to_string();
    let consolidate = (Action::StartConsolidation, Station);
    let assign = (
        Action::Assign {
            unit_id: unit,
            class,
        },
        Station,
    );
    let ack = (Action::Acknowledge, Unit);
    let progress = (
        Action::ReportProgress {
            note: t("已安排人员现场查看，正在制定方案"),
        },
        Unit,
    );
    let request = (
        Action::RequestClosure {
            result: t("已完成整改，现场已恢复正常"),
        },
        Unit,
    );
    let approve = (Action::ApproveClosure, Station);
    let feedback = (
        Action::RecordFeedback {
            note: t("已电话告知居民办理结果，并同步告知联系代表"),
        },
        Station,
    );
    let handled = vec![
        consolidate.clone(),
        assign.clone(),
        ack.clone(),
        progress.clone(),
        request.clone(),
        approve.clone(),
        feedback.clone(),
    ];
    let rate = |r: Rating, c: &str| {
        (
            Action::Rate {
                rating: r,
                comment: t(c),
                via: domain::RatingChannel::Online,
            },
            Resident,
        )
    };
    match plot {
        Plot::Registered => vec![],
        Plot::Consolidating => vec![consolidate],
        Plot::OnTheSpot => vec![(
            Action::AnswerOnSpot {
                answer: t("已当场说明相关政策和办理渠道"),
            },
            Station,
        )],
        Plot::AwaitingAck => vec![consolidate, assign],
        Plot::InProgress => vec![consolidate, assign, ack, progress],
        Plot::ClosureRequested => vec![consolidate, assign, ack, progress, request],
        Plot::Local => vec![
            consolidate,
            (
                Action::HandleLocally {
                    tier: Tier::Grid,
                    note: t("由网格党支部协调解决"),
                },
                Station,
            ),
        ],
        Plot::Escalated => vec![
            consolidate,
            (
                Action::Escalate {
                    note: t("共性问题，提请市级统筹解决"),
                },
                Station,
            ),
        ],
        Plot::Suggestion => vec![
            consolidate,
            (
                Action::ToSuggestion {
                    note: t("转为代表建议，提交区人大常委会"),
                },
                Deputy,
            ),
        ],
        Plot::Returned => vec![
            consolidate,
            assign,
            (
                Action::Return {
                    reason: t("该事项不属本单位职责范围"),
                },
                Unit,
            ),
        ],
        Plot::FeedbackDue => vec![consolidate, assign, ack, progress, request, approve],
        Plot::AwaitingRating => handled,
        Plot::Rework => [
            handled,
            vec![rate(Rating::Dissatisfied, "问题没有彻底解决")],
        ]
        .concat(),
        Plot::Satisfied => [handled, vec![rate(Rating::Satisfied, "办得很及时，谢谢")]].concat(),
        // Rated when the station called back (回访): residents who never go online.
        Plot::Fairly => [
            handled,
            vec![(
                Action::Rate {
                    rating: Rating::FairlySatisfied,
                    comment: t("电话回访，居民表示基本满意"),
                    via: domain::RatingChannel::Callback,
                },
                Station,
            )],
        ]
        .concat(),
        Plot::NotRated => [handled, vec![(Action::CloseUnrated, System)]].concat(),
        Plot::NotAccepted => vec![
            consolidate,
            (
                Action::NotAccept {
                    reason: t("该事项已进入诉讼程序，依法不予受理"),
                },
                Station,
            ),
            feedback,
            rate(Rating::FairlySatisfied, ""),
        ],
        Plot::Merged => match open.iter().rev().find(|(p, _)| *p == place) {
            Some((_, target)) => vec![(
                Action::Merge {
                    into: target.as_str().to_string(),
                },
                Station,
            )],
            None => vec![consolidate],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Status;

    /// `demo --force` replaces a database that was used: photos and texts
    /// waiting to go out reference its cases (the forced load failed on a
    /// foreign key after the journeys had run on it).
    #[tokio::test]
    async fn a_forced_demo_replaces_a_used_database() {
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        let case: i64 = sqlx::query_scalar("SELECT MIN(id) FROM cases")
            .fetch_one(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO photos (case_id, stage, by_resident, public, object, width, height, \
             bytes, created_at) VALUES ($1, 'problem', 1, 0, 'x.jpg', 1, 1, 1, $2)",
        )
        .bind(case)
        .bind(now.stored())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO outbox (case_id, notice, due_at, created_at) VALUES ($1, 'registered', $2, $2)")
            .bind(case)
            .bind(now.stored())
            .execute(&pool)
            .await
            .unwrap();
        load(&pool, true, now).await.unwrap();
        let (cases, photos): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM photos)")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!((cases, photos), (CASES as i64, 0));
    }

    #[tokio::test]
    async fn the_demo_loads_every_step_once_and_refuses_a_second_time() {
        let db = crate::testing::TestDb::new().await;
        let pool = db.pool.clone();
        let now = Utc::now();
        load(&pool, false, now).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, CASES as i64);
        let statuses: Vec<String> = sqlx::query_scalar("SELECT DISTINCT status FROM cases")
            .fetch_all(&pool)
            .await
            .unwrap();
        for s in Status::ALL {
            assert!(
                statuses.contains(&s.as_str().to_string()),
                "no demo case is {s:?}"
            );
        }
        // Every persona has a day: the deputy heard requests of their own,
        // and some residents take texts (with no backlog sent at start).
        let deputy = users::find_by_username(&pool, "deputy")
            .await
            .unwrap()
            .unwrap();
        let visits = crate::sessions::mine(&pool, &deputy, now).await.unwrap();
        assert!(!visits.heard.is_empty() && !visits.upcoming.is_empty());
        let texted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE notify = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(texted > 0);
        let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(queued, 0);
        assert!(matches!(
            load(&pool, false, now).await,
            Err(DemoError::NotEmpty)
        ));
        let first: Vec<String> = sqlx::query_scalar("SELECT code FROM cases ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        load(&pool, true, now).await.unwrap();
        let again: Vec<String> = sqlx::query_scalar("SELECT code FROM cases ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(first, again, "the demo is deterministic");
        assert!(
            users::authenticate(&pool, "director", DEMO_PASSWORD)
                .await
                .unwrap()
                .is_some()
        );
    }
}
