//! The corpus's brands: the first 21 (the original industries, tones and markets) here, the
//! rest in `more_brands.rs`.

use super::more_brands::MORE;
use ame_domain::{Market, Tone, Vertical};

/// One brand of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct CorpusBrand {
    /// Company name.
    pub company: &'static str,
    /// Product or offer.
    pub product: &'static str,
    /// Who it is for.
    pub audience: &'static str,
    /// Value propositions (verb phrases and noun phrases both occur).
    pub value_propositions: &'static [&'static str],
    /// Voice.
    pub tone: Tone,
    /// Call to action.
    pub cta: &'static str,
    /// What the objective counts for lead generation, e.g. `demos`.
    pub lead_unit: &'static str,
    /// What customers are called in objectives, e.g. `patients`.
    pub customers: &'static str,
    /// Whether the brand is left as the placeholder (a missing profile).
    pub placeholder: bool,
    /// Whom it sells to.
    pub market: Market,
    /// The world it works in (none: left for the writer to infer).
    pub vertical: Option<Vertical>,
}

pub(super) const fn brand(
    company: &'static str,
    product: &'static str,
    audience: &'static str,
    value_propositions: &'static [&'static str],
    tone: Tone,
    cta: &'static str,
    [lead_unit, customers]: [&'static str; 2],
) -> CorpusBrand {
    CorpusBrand {
        company,
        product,
        audience,
        value_propositions,
        tone,
        cta,
        lead_unit,
        customers,
        placeholder: false,
        market: Market::Business,
        vertical: None,
    }
}

/// `brand` in `vertical`.
pub(super) const fn of(vertical: Vertical, brand: CorpusBrand) -> CorpusBrand {
    CorpusBrand {
        vertical: Some(vertical),
        ..brand
    }
}

/// A consumer brand.
pub(super) const fn consumer(brand: CorpusBrand) -> CorpusBrand {
    CorpusBrand {
        market: Market::Consumer,
        ..brand
    }
}

/// The brands written first.
const FIRST: [CorpusBrand; 21] = [
    of(
        Vertical::B2bSoftware,
        brand(
            "Ledgerly",
            "automated month-end close software",
            "finance teams at mid-sized companies",
            &[
                "close the books in 3 days instead of 10",
                "catch reconciliation errors before auditors do",
                "give your team time back for analysis",
            ],
            Tone::Professional,
            "Book a demo",
            ["demos", "controllers"],
        ),
    ),
    of(
        Vertical::Health,
        consumer(brand(
            "Brightside Dental",
            "family dental care",
            "parents in Leeds",
            &[
                "see a dentist within 48 hours",
                "pay monthly with no interest",
            ],
            Tone::Friendly,
            "Book a check-up",
            ["new patient bookings", "patients"],
        )),
    ),
    // A name ending in "Co." (a slot before a full stop) and one starting with a vowel sound
    // ("an Attestly customer"), for the grammar layer.
    of(
        Vertical::FoodDrink,
        consumer(brand(
            "Crumb & Co.",
            "a weekly sourdough subscription delivered to your door",
            "bread lovers in Manchester",
            &[
                "wake up to a fresh sourdough loaf every Saturday",
                "pause or skip a week whenever you like",
            ],
            Tone::Friendly,
            "Start my subscription",
            ["new subscribers", "subscribers"],
        )),
    ),
    of(
        Vertical::B2bSoftware,
        brand(
            "Attestly",
            "SOC 2 compliance automation",
            "founders of seed-stage software companies",
            &[
                "get audit-ready for SOC 2 in weeks, not months",
                "an auditor-approved policy library",
            ],
            Tone::Professional,
            "Book a demo",
            ["demos", "customers"],
        ),
    ),
    of(
        Vertical::FoodDrink,
        consumer(brand(
            "Kettle & Crumb",
            "a neighbourhood bakery and café",
            "coffee lovers in Bristol",
            &[
                "fresh sourdough every morning",
                "get your tenth coffee free",
                "order ahead and skip the queue",
            ],
            Tone::Playful,
            "Order ahead",
            ["first orders", "regulars"],
        )),
    ),
    of(
        Vertical::B2bSoftware,
        brand(
            "Shiftwise",
            "staff scheduling for restaurants",
            "restaurant owners",
            &[
                "build next week's rota in ten minutes",
                "cut overtime costs",
                "let staff swap shifts from their phones",
            ],
            Tone::Bold,
            "Start free trial",
            ["trials", "restaurants"],
        ),
    ),
    of(
        Vertical::ProfessionalServices,
        brand(
            "Northwind Legal",
            "employment law advice",
            "small business owners",
            &[
                "fixed-fee advice with no surprises",
                "answers within one working day",
            ],
            Tone::Professional,
            "Get a quote",
            ["enquiries", "clients"],
        ),
    ),
    of(
        Vertical::LocalServices,
        consumer(brand(
            "PawPal",
            "dog walking and pet sitting",
            "busy dog owners in Manchester",
            &[
                "vetted walkers you can track live",
                "book a walk in two taps",
                "photos after every walk",
            ],
            Tone::Playful,
            "Book a walk",
            ["bookings", "dog owners"],
        )),
    ),
    of(
        Vertical::Health,
        consumer(brand(
            "Clearpath Physio",
            "physiotherapy clinics",
            "runners and desk workers",
            &[
                "get moving without pain",
                "same-week appointments",
                "exercise plans you can follow at home",
            ],
            Tone::Empathetic,
            "Book an assessment",
            ["assessments", "patients"],
        )),
    ),
    of(
        Vertical::B2bSoftware,
        brand(
            "Stackline",
            "cloud cost monitoring",
            "platform engineering teams",
            &[
                "find idle resources automatically",
                "alerts before the bill arrives",
                "cut cloud spend by a fifth",
            ],
            Tone::Professional,
            "Request a demo",
            ["demos", "engineering teams"],
        ),
    ),
    of(
        Vertical::FoodDrink,
        consumer(brand(
            "Greenleaf Grocer",
            "organic grocery delivery",
            "households in Dublin",
            &[
                "local produce delivered the same day",
                "no plastic packaging",
                "skip a week whenever you like",
            ],
            Tone::Friendly,
            "Order now",
            ["first orders", "households"],
        )),
    ),
    of(
        Vertical::Fitness,
        consumer(brand(
            "Atlas Fitness",
            "a gym with classes",
            "adults who want to get fit",
            &[
                "classes every hour from 6am",
                "a coach who checks in weekly",
                "no joining fee",
            ],
            Tone::Bold,
            "Try a free class",
            ["free class sign-ups", "members"],
        )),
    ),
    of(
        Vertical::Education,
        consumer(brand(
            "Quillbox",
            "an online writing course",
            "aspiring novelists",
            &[
                "finish your first draft",
                "weekly feedback from published authors",
                "learn at your own pace",
            ],
            Tone::Empathetic,
            "Enrol now",
            ["enrolments", "students"],
        )),
    ),
    of(
        Vertical::Retail,
        consumer(brand(
            "Fenwick & Finch",
            "handmade homeware",
            "people furnishing their first home",
            &[
                "lamps, throws and ceramics made in small batches by independent studios around the country",
                "free returns within 30 days",
            ],
            Tone::Friendly,
            "Shop the collection",
            ["orders", "shoppers"],
        )),
    ),
    of(
        Vertical::Retail,
        consumer(brand(
            "Tinkerly",
            "STEM kits for kids",
            "parents of curious 8 to 12 year olds",
            &[
                "a new build-it project every month",
                "screen-free learning",
                "everything in the box",
            ],
            Tone::Playful,
            "Get the first box",
            ["subscriptions", "families"],
        )),
    ),
    of(
        Vertical::B2bSoftware,
        brand(
            "Fieldnote",
            "CRM for independent architects",
            "small architecture studios",
            &[
                "keep every client conversation in one place",
                "send fee proposals in minutes",
            ],
            Tone::Friendly,
            "Start free trial",
            ["trials", "studios"],
        ),
    ),
    of(
        Vertical::Health,
        consumer(brand(
            "Solace Care",
            "home care for older people",
            "families arranging care for a parent",
            &[
                "the same carer every visit",
                "care plans reviewed every month",
                "a named manager you can call",
            ],
            Tone::Empathetic,
            "Arrange a visit",
            ["care assessments", "families"],
        )),
    ),
    of(
        Vertical::LocalServices,
        consumer(brand(
            "Voltway",
            "home EV charger installation",
            "new electric car owners",
            &[
                "installed within a week",
                "a fixed price with no hidden extras",
                "smart charging on cheaper tariffs",
            ],
            Tone::Bold,
            "Get a quote",
            ["installation quotes", "drivers"],
        )),
    ),
    of(
        Vertical::B2bSoftware,
        brand(
            "Lumen Analytics",
            "product analytics",
            "product managers at SaaS companies",
            &[
                "see where users drop off",
                "answers without writing SQL",
                "share dashboards with the whole team",
            ],
            Tone::Professional,
            "Book a demo",
            ["demos", "product teams"],
        ),
    ),
    of(
        Vertical::Hospitality,
        consumer(brand(
            "Wander & Co",
            "small-group walking holidays",
            "active retirees",
            &[
                "routes planned by local guides",
                "luggage moved for you every day",
                "groups of twelve or fewer",
            ],
            Tone::Friendly,
            "See the trips",
            ["holiday enquiries", "travellers"],
        )),
    ),
    of(
        Vertical::ProfessionalServices,
        brand(
            "Pinecrest Accounting",
            "bookkeeping and tax returns",
            "freelancers and sole traders",
            &[
                "your tax return filed on time",
                "a fixed monthly fee",
                "an accountant who answers the phone",
            ],
            Tone::Empathetic,
            "Book a call",
            ["consultations", "clients"],
        ),
    ),
];

/// The corpus: [`FIRST`] then [`MORE`].
pub const BRANDS: [CorpusBrand; 40] = {
    let mut all = [FIRST[0]; 40];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < FIRST.len() {
            FIRST[i]
        } else {
            MORE[i - FIRST.len()]
        };
        i += 1;
    }
    all
};
