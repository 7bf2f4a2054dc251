use serde::{Deserialize, Serialize};

stored_enum! {
    /// A level of the region tree (city → … → building). Grid views, scopes and
    /// the public "compound only" address all read this.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    pub enum RegionLevel {
        /// 市
        City = "city",
        /// 区/县
        District = "district",
        /// 街道/乡镇
        Street = "street",
        /// 社区
        Community = "community",
        /// 网格
        Grid = "grid",
        /// 小区
        Compound = "compound",
        /// 楼栋/单元
        Building = "building",
    }
}

impl RegionLevel {
    /// Whether public figures are published for a node of this level: down
    /// to the community. Below it (grid, compound, building) a handful of
    /// households stand behind each number.
    pub fn has_public_figures(self) -> bool {
        matches!(
            self,
            Self::City | Self::District | Self::Street | Self::Community
        )
    }

    /// The level a child of this level has; a building has none.
    pub fn child(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|l| *l == self)?;
        Self::ALL.get(i + 1).copied()
    }

    /// The deepest level the grid view of a node of this level shows: two
    /// levels down, and never below compounds. A city's view is then its
    /// districts and streets, a hundred rows, where down to compounds it was
    /// every grid and compound of the city (2,200 rows and 1.9 MB of HTML
    /// for Lüliang's 304 communities); every row opens its own view.
    pub fn grid_view_floor(self) -> Self {
        self.child()
            .and_then(Self::child)
            .unwrap_or(Self::Building)
            .min(Self::Compound)
    }

    /// The deepest level an area filter (board, case list, ledger) offers a
    /// user whose area is at this level: three levels down, never below
    /// compounds. A city's leader then picks among 379 districts, streets
    /// and communities instead of 2,205 nodes down to every compound (a
    /// 232 KB picker and 413 KB of page data on each board); a deeper area
    /// is one more choice away, below the area chosen.
    pub fn filter_floor(self) -> Self {
        self.child()
            .and_then(Self::child)
            .and_then(Self::child)
            .unwrap_or(Self::Building)
            .min(Self::Compound)
    }

    /// The level of the grid view's heat table, where hot spots show: the
    /// view's deepest level, except that a community's are its grids, the
    /// patch each grid worker answers for, and a grid's its compounds.
    pub fn heat_level(self) -> Self {
        if self >= Self::Grid {
            Self::Compound
        } else {
            self.grid_view_floor().min(Self::Grid)
        }
    }
}

stored_enum! {
    /// 分级: who must solve a case. "小事不出小区，大事不出网格" is measured as the
    /// share of cases closed at each tier.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    pub enum Tier {
        Compound = "compound",
        Grid = "grid",
        Community = "community",
        Street = "street",
        District = "district",
        City = "city",
    }
}

impl Tier {
    /// Tiers a community can solve by itself (the "local" route).
    pub fn is_local(self) -> bool {
        matches!(self, Self::Compound | Self::Grid | Self::Community)
    }
}

/// The longest name a node of the tree may have.
pub const MAX_REGION_NAME: usize = 40;

impl RegionLevel {
    /// A level as a person writes it in a file: its code (`grid`) or its
    /// Chinese name (`网格`).
    pub fn from_label(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::parse(raw).or(match raw {
            "市" => Some(Self::City),
            "区" | "县" | "区县" => Some(Self::District),
            "街道" | "乡镇" => Some(Self::Street),
            "社区" => Some(Self::Community),
            "网格" => Some(Self::Grid),
            "小区" => Some(Self::Compound),
            "楼栋" | "单元" => Some(Self::Building),
            _ => None,
        })
    }
}

/// A node's name trimmed, or why it cannot be one (a key the page
/// translates): empty, too long, holding `/` (which separates the names of
/// a chain in an import file) or a control character (which pages, feeds
/// and exports would show garbled, or use to hide text).
pub fn check_region_name(name: &str) -> Result<&str, &'static str> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 {
        Err("required")
    } else if n > MAX_REGION_NAME {
        Err("too_long")
    } else if name.contains('/') {
        Err("slash")
    } else if name
        .chars()
        .any(|c| c.is_control() || crate::intake::is_bidi_control(c))
    {
        Err("control_chars")
    } else {
        Ok(name)
    }
}

/// One line of a region import file (上级,层级,名称), checked on its own:
/// whether its parent exists and its level fits is the file's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    /// The parent's name chain from the root, `/`-separated; empty for a root.
    pub parent: String,
    pub level: RegionLevel,
    pub name: String,
}

impl ImportLine {
    /// The line's fields, or why they are no line (a key the page translates).
    pub fn parse(fields: &[&str]) -> Result<Self, &'static str> {
        let [parent, level, name] = fields else {
            return Err("columns");
        };
        let level = RegionLevel::from_label(level).ok_or("level")?;
        let name = check_region_name(name)?;
        Ok(Self {
            parent: parent.trim().trim_matches('/').to_string(),
            level,
            name: name.to_string(),
        })
    }
}

crate::form! {
    /// A new node one level below `parent`.
    pub struct NewNode from RawNewNode {
        parent: id,
        name: text,
    }
}

crate::form! {
    pub struct Rename from RawRename {
        region: id,
        name: text,
    }
}

crate::form! {
    /// A node (with everything below it) moving under a new parent.
    pub struct Move from RawMove {
        region: id,
        parent: id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_view_goes_two_levels_down_and_heats_grids_in_a_community() {
        use RegionLevel::*;
        let shown = |l: RegionLevel| (l.grid_view_floor(), l.heat_level());
        assert_eq!(shown(City), (Street, Street));
        assert_eq!(shown(District), (Community, Community));
        assert_eq!(shown(Street), (Grid, Grid));
        assert_eq!(shown(Community), (Compound, Grid));
        assert_eq!(shown(Grid), (Compound, Compound));
        assert_eq!(shown(Compound), (Compound, Compound));
        assert_eq!(shown(Building), (Compound, Compound));
    }

    #[test]
    fn an_area_filter_offers_three_levels_down_and_never_a_building() {
        use RegionLevel::*;
        assert_eq!(City.filter_floor(), Community);
        assert_eq!(District.filter_floor(), Grid);
        assert_eq!(Street.filter_floor(), Compound);
        assert_eq!(Community.filter_floor(), Compound);
        assert_eq!(Grid.filter_floor(), Compound);
        assert_eq!(Building.filter_floor(), Compound);
    }

    #[test]
    fn levels_round_trip_and_nest() {
        for l in RegionLevel::ALL {
            assert_eq!(RegionLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(RegionLevel::Community.child(), Some(RegionLevel::Grid));
        assert_eq!(RegionLevel::Building.child(), None);
        assert_eq!(RegionLevel::parse("planet"), None);
    }

    #[test]
    fn tiers_round_trip_and_local_ones_stay_in_the_community() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        assert!(Tier::Grid.is_local());
        assert!(!Tier::Street.is_local());
    }
}
