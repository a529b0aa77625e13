//! Vertical playbooks: the built-in copywriter's words for each kind of business, one file per
//! vertical in `playbooks/` that a copywriter can edit (format and rules in [`schema`], checked
//! when the crate is built). A brand's vertical is the one it set, else the one its industry,
//! product or name points to, else its market's default.

pub mod schema;

use crate::copy::Purpose;
use ame_domain::{Brand, CampaignType, Market, Vertical};
use schema::{Angles, EmailCopy, PlaybookFile, TypeCopy};
use std::sync::LazyLock;

/// Every vertical's playbook file, embedded.
const FILES: [(Vertical, &str); 10] = [
    (
        Vertical::FoodDrink,
        include_str!("../../playbooks/food_drink.toml"),
    ),
    (
        Vertical::Retail,
        include_str!("../../playbooks/retail.toml"),
    ),
    (
        Vertical::LocalServices,
        include_str!("../../playbooks/local_services.toml"),
    ),
    (
        Vertical::Health,
        include_str!("../../playbooks/health.toml"),
    ),
    (
        Vertical::Fitness,
        include_str!("../../playbooks/fitness.toml"),
    ),
    (
        Vertical::Nonprofit,
        include_str!("../../playbooks/nonprofit.toml"),
    ),
    (
        Vertical::Education,
        include_str!("../../playbooks/education.toml"),
    ),
    (
        Vertical::Hospitality,
        include_str!("../../playbooks/hospitality.toml"),
    ),
    (
        Vertical::B2bSoftware,
        include_str!("../../playbooks/b2b_software.toml"),
    ),
    (
        Vertical::ProfessionalServices,
        include_str!("../../playbooks/professional_services.toml"),
    ),
];

/// Template lists by angle, as the copywriter's choosers take them.
pub(crate) type Pools = [&'static [&'static str]; 3];

/// One vertical's playbook, loaded.
#[derive(Debug)]
pub struct Playbook {
    /// The vertical.
    pub vertical: Vertical,
    /// The file as written.
    pub file: PlaybookFile,
    banned: Vec<String>,
}

static PLAYBOOKS: LazyLock<Vec<Playbook>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(vertical, text)| {
            // The build script refused any file that does not parse.
            let file: PlaybookFile = toml::from_str(text).unwrap_or_else(|error| {
                unreachable!("{vertical} playbook checked at build time: {error}")
            });
            Playbook {
                vertical: *vertical,
                banned: file.banned.iter().map(|b| b.to_lowercase()).collect(),
                file,
            }
        })
        .collect()
});

/// A list of strings as the choosers take it (made once per list: the playbooks live as long
/// as the process).
fn strs(list: &'static [String]) -> &'static [&'static str] {
    Box::leak(
        list.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn pools(angles: &'static Angles) -> Pools {
    [strs(&angles[0]), strs(&angles[1]), strs(&angles[2])]
}

/// Each playbook's lists in the choosers' form, built once.
struct Views {
    headlines: Vec<[Pools; 6]>,
    subheadlines: Vec<[Pools; 6]>,
    cta: Vec<[&'static [&'static str]; 6]>,
    subjects: Vec<Vec<Pools>>,
    preheaders: Vec<Vec<Pools>>,
    body: Vec<Vec<&'static [&'static [&'static str]]>>,
    voice: Vec<Pools>,
    friend_headlines: Vec<Pools>,
    friend_subheadlines: Vec<Pools>,
    friend_cta: Vec<&'static [&'static str]>,
}

static VIEWS: LazyLock<Views> = LazyLock::new(|| {
    let books: &'static [Playbook] = &PLAYBOOKS;
    let types = |b: &'static Playbook| b.file.types.all().map(|(_, t)| t);
    let emails = |b: &'static Playbook| b.file.email.all().map(|(_, e)| e);
    Views {
        headlines: books
            .iter()
            .map(|b| types(b).map(|t| pools(&t.headlines)))
            .collect(),
        subheadlines: books
            .iter()
            .map(|b| types(b).map(|t| pools(&t.subheadlines)))
            .collect(),
        cta: books
            .iter()
            .map(|b| types(b).map(|t| strs(&t.cta)))
            .collect(),
        subjects: books
            .iter()
            .map(|b| emails(b).iter().map(|e| pools(&e.subjects)).collect())
            .collect(),
        preheaders: books
            .iter()
            .map(|b| emails(b).iter().map(|e| pools(&e.preheaders)).collect())
            .collect(),
        body: books
            .iter()
            .map(|b| {
                emails(b)
                    .iter()
                    .map(|e| -> &'static [&'static [&'static str]] {
                        Box::leak(
                            e.body
                                .iter()
                                .map(|p| strs(p.options()))
                                .collect::<Vec<_>>()
                                .into_boxed_slice(),
                        )
                    })
                    .collect()
            })
            .collect(),
        voice: books.iter().map(|b| pools(&b.file.voice.angles)).collect(),
        friend_headlines: books
            .iter()
            .map(|b| pools(&b.file.friend.headlines))
            .collect(),
        friend_subheadlines: books
            .iter()
            .map(|b| pools(&b.file.friend.subheadlines))
            .collect(),
        friend_cta: books.iter().map(|b| strs(&b.file.friend.cta)).collect(),
    }
});

fn type_index(t: CampaignType) -> usize {
    match t {
        CampaignType::LeadGen => 0,
        CampaignType::BrandAwareness => 1,
        CampaignType::ClientRetention => 2,
        CampaignType::ReEngagement => 3,
        CampaignType::Upsell => 4,
        CampaignType::Referral => 5,
    }
}

/// The playbook's email entry of `purpose` in a campaign of type `t` (two purposes are written
/// differently for one type each).
fn email_index(t: CampaignType, purpose: Purpose) -> usize {
    match (t, purpose) {
        (CampaignType::Upsell, Purpose::Proof) => 17,
        (CampaignType::BrandAwareness, Purpose::Invite) => 18,
        _ => Purpose::ALL
            .iter()
            .position(|p| *p == purpose)
            .unwrap_or_default(),
    }
}

impl Playbook {
    /// The playbook of `vertical`.
    pub fn of(vertical: Vertical) -> &'static Playbook {
        let books: &'static [Playbook] = &PLAYBOOKS;
        books
            .iter()
            .find(|b| b.vertical == vertical)
            .unwrap_or(&books[0])
    }

    /// The playbook of `brand`'s vertical.
    pub fn for_brand(brand: &Brand) -> &'static Playbook {
        Self::of(vertical_of(brand))
    }

    fn index(&self) -> usize {
        FILES
            .iter()
            .position(|(v, _)| *v == self.vertical)
            .unwrap_or_default()
    }

    /// The copy of campaign type `t`.
    pub fn type_copy(&self, t: CampaignType) -> &TypeCopy {
        self.file.types.all()[type_index(t)].1
    }

    /// The copy of an email with `purpose` in a campaign of type `t`.
    pub fn email(&self, t: CampaignType, purpose: Purpose) -> &EmailCopy {
        self.file.email.all()[email_index(t, purpose)].1
    }

    /// Headline templates of `t` by angle.
    pub(crate) fn headlines(&self, t: CampaignType) -> Pools {
        VIEWS.headlines[self.index()][type_index(t)]
    }

    /// Supporting-line templates of `t` by angle.
    pub(crate) fn subheadlines(&self, t: CampaignType) -> Pools {
        VIEWS.subheadlines[self.index()][type_index(t)]
    }

    /// Button labels of `t`, its call to action first.
    pub(crate) fn cta_labels(&self, t: CampaignType) -> &'static [&'static str] {
        VIEWS.cta[self.index()][type_index(t)]
    }

    /// Subject templates of an email by angle.
    pub(crate) fn subjects(&self, t: CampaignType, purpose: Purpose) -> Pools {
        VIEWS.subjects[self.index()][email_index(t, purpose)]
    }

    /// Preheader templates of an email by angle.
    pub(crate) fn preheaders(&self, t: CampaignType, purpose: Purpose) -> Pools {
        VIEWS.preheaders[self.index()][email_index(t, purpose)]
    }

    /// Body paragraph templates of an email, each with its alternatives.
    pub(crate) fn body(
        &self,
        t: CampaignType,
        purpose: Purpose,
    ) -> &'static [&'static [&'static str]] {
        VIEWS.body[self.index()][email_index(t, purpose)]
    }

    /// Headline templates of the page a referrer's friend lands on, by angle.
    pub(crate) fn friend_headlines(&self) -> Pools {
        VIEWS.friend_headlines[self.index()]
    }

    /// Supporting-line templates of the friend's page, by angle.
    pub(crate) fn friend_subheadlines(&self) -> Pools {
        VIEWS.friend_subheadlines[self.index()]
    }

    /// Button labels of the friend's page.
    pub(crate) fn friend_cta(&self) -> &'static [&'static str] {
        VIEWS.friend_cta[self.index()]
    }

    /// Voice-ad sentences by angle.
    pub(crate) fn voice(&self) -> Pools {
        VIEWS.voice[self.index()]
    }

    /// Whether `text` (a template or written copy) uses a word this vertical bans, and which.
    pub fn banned_word(&self, text: &str) -> Option<&str> {
        schema::words_outside_placeholders(text)
            .into_iter()
            .find_map(|w| self.banned.iter().find(|b| **b == w).map(String::as_str))
    }

    /// The words this vertical bans (lower case).
    pub fn banned(&self) -> &[String] {
        &self.banned
    }
}

/// How many of a playbook's keywords `text` holds.
fn matches(book: &Playbook, text: &str) -> usize {
    let text = text.to_lowercase();
    book.file
        .keywords
        .iter()
        .filter(|k| text.contains(k.as_str()))
        .count()
}

/// The vertical of `brand`: the one it set; else the playbook whose keywords its industry
/// matches most, then its product and name; else its market's default (business software for
/// businesses, retail for consumers).
pub fn vertical_of(brand: &Brand) -> Vertical {
    if let Some(v) = brand.vertical {
        return v;
    }
    let texts = [
        brand.industry.clone().unwrap_or_default(),
        format!("{} {}", brand.product, brand.company_name),
    ];
    for text in texts.iter().filter(|t| !t.trim().is_empty()) {
        let best = PLAYBOOKS
            .iter()
            .map(|b| (matches(b, text), b.vertical))
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, _)| *n);
        if let Some((_, vertical)) = best {
            return vertical;
        }
    }
    match brand.market {
        Market::Business => Vertical::B2bSoftware,
        Market::Consumer => Vertical::Retail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vertical_has_a_playbook_that_passes_its_checks() {
        for v in Vertical::ALL {
            let book = Playbook::of(*v);
            assert_eq!(book.vertical, *v);
            assert!(book.file.problems().is_empty(), "{v}");
            for t in CampaignType::ALL {
                assert_eq!(book.cta_labels(*t)[0], "{cta}");
                assert!(book.headlines(*t).iter().all(|p| !p.is_empty()));
            }
        }
    }

    #[test]
    fn a_brand_without_a_vertical_gets_the_one_its_words_point_to() {
        let mut brand = Brand::placeholder();
        brand.industry = Some("Animal rescue charity".into());
        assert_eq!(vertical_of(&brand), Vertical::Nonprofit);
        brand.industry = Some("artisan bakery".into());
        assert_eq!(vertical_of(&brand), Vertical::FoodDrink);
        brand.vertical = Some(Vertical::Health);
        assert_eq!(vertical_of(&brand), Vertical::Health);
        brand.vertical = None;
        brand.industry = None;
        brand.product = "zzz".into();
        brand.company_name = "Qqq".into();
        brand.market = Market::Consumer;
        assert_eq!(vertical_of(&brand), Vertical::Retail);
        brand.market = Market::Business;
        assert_eq!(vertical_of(&brand), Vertical::B2bSoftware);
    }

    #[test]
    fn banned_words_are_found_whole_and_outside_placeholders() {
        let book = Playbook::of(Vertical::Nonprofit);
        let banned = book.banned().first().cloned().unwrap_or_default();
        assert_eq!(
            book.banned_word(&format!("A {banned} for you")),
            Some(banned.as_str())
        );
        assert_eq!(book.banned_word("{plan} and {product}"), None);
    }
}
