//! The copy lint corpus: 40 brands of different industries, tones and markets, each with an
//! internal objective per campaign type, run through a writer and counted by lint rule.

use crate::brief::Brief;
use crate::copy::{AssetCopy, CopySpec};
use crate::lint::{Finding, LintContext, Rule, copy_sentences, lint};
use ame_domain::{
    Brand, BrandStory, Campaign, CampaignId, CampaignPlan, CampaignStatus, CampaignType, Channel,
    Market, Offers, OrgId, Testimonial, Tone, Vertical,
};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;

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

const fn brand(
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
const fn of(vertical: Vertical, brand: CorpusBrand) -> CorpusBrand {
    CorpusBrand {
        vertical: Some(vertical),
        ..brand
    }
}

/// A consumer brand.
const fn consumer(brand: CorpusBrand) -> CorpusBrand {
    CorpusBrand {
        market: Market::Consumer,
        ..brand
    }
}

/// The corpus.
pub const BRANDS: [CorpusBrand; 40] = [
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
            "Harbor Insurance",
            "home and contents insurance",
            "first-time home buyers",
            &[
                "cover that starts the day you move in",
                "claims settled within ten days",
            ],
            Tone::Professional,
            "Get a quote",
            ["quotes", "policyholders"],
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
    of(
        Vertical::Nonprofit,
        consumer(brand(
            "Hollybank Animal Rescue",
            "rehoming, fostering and vet care for abandoned dogs, cats and rabbits",
            "animal lovers in Sheffield who want to help",
            &[
                "sponsor a kennel for £5 a month and get a photo update from our team every fortnight",
                "foster a cat or dog at home while we find them a forever family, with food and vet bills covered",
                "Every pound you give goes on food, bedding and vet care for the 120 animals in our care.",
            ],
            Tone::Empathetic,
            "Sponsor a kennel",
            ["new monthly donors", "supporters"],
        )),
    ),
    of(
        Vertical::Nonprofit,
        consumer(brand(
            "Eastgate Food Bank",
            "emergency food parcels and a weekly community pantry",
            "neighbours in Leicester who can spare an hour or a few tins",
            &[
                "help pack 400 food parcels a week for families referred by local schools and GPs",
                "drop off tins, pasta and toiletries at any of our 12 collection points across the city",
                "a two-hour volunteering shift that fits around work, the school run and everything else",
            ],
            Tone::Friendly,
            "Volunteer with us",
            ["volunteer sign-ups", "volunteers"],
        )),
    ),
    of(
        Vertical::Nonprofit,
        consumer(brand(
            "Willowmere Children's Hospice",
            "respite, palliative and family support care for children with life-limiting conditions",
            "families and supporters across North Yorkshire",
            &[
                "£25 pays for a nurse to spend an hour at the bedside so a mum or dad can finally sleep",
                "short breaks for the whole family in our garden lodges, with activities for brothers and sisters",
                "Our care is free to every family, and 84% of it is funded by people like you.",
            ],
            Tone::Empathetic,
            "Give monthly",
            ["regular donors", "supporters"],
        )),
    ),
    of(
        Vertical::Nonprofit,
        consumer(brand(
            "Ashgrove Community Arts",
            "free painting, music and theatre workshops for all ages",
            "people in Hull who believe everyone deserves a creative outlet",
            &[
                "fund free weekly pottery, drama and samba workshops for young people across east Hull",
                "lend a hand at our summer street festivals, from face painting to putting up the stage",
                "A £10 gift buys paints, brushes and paper for one child at our after-school art clubs.",
            ],
            Tone::Playful,
            "Donate £10",
            ["donations", "supporters"],
        )),
    ),
    of(
        Vertical::Education,
        consumer(brand(
            "Inkwell Tutors",
            "one-to-one maths and English tutoring online",
            "parents of GCSE students",
            &[
                "a qualified teacher matched to your child's exam board and target grade within 48 hours",
                "Weekly progress notes land in your inbox every Friday, so you always know where they stand.",
                "get 20% off your first block of 10 lessons when you book before the end of term",
            ],
            Tone::Friendly,
            "Book a free lesson",
            ["trial lessons", "families"],
        )),
    ),
    of(
        Vertical::Education,
        consumer(brand(
            "Larkspur Language School",
            "evening and weekend Spanish, French and Italian courses",
            "adults in Brighton who always meant to learn a language",
            &[
                "order a coffee in Madrid with confidence after just 10 weeks of evening classes",
                "small classes of 8 or fewer, taught by native speakers who actually make it fun",
            ],
            Tone::Playful,
            "Find your class",
            ["course enrolments", "learners"],
        )),
    ),
    of(
        Vertical::Education,
        consumer(brand(
            "Codeyard Bootcamp",
            "a 12-week part-time coding bootcamp",
            "career changers who want a job in tech",
            &[
                "go from zero to your first junior developer role in 12 weeks of evenings and Saturdays",
                "a dedicated careers coach plus mock interviews with hiring managers from local firms",
                "Pay nothing up front: our income-share plan only kicks in once you're earning £25,000.",
                "real-world projects built with a team, so you finish with a portfolio employers can click through",
            ],
            Tone::Bold,
            "Apply now",
            ["applications", "students"],
        )),
    ),
    of(
        Vertical::Hospitality,
        consumer(brand(
            "Ember Lane Pizzeria",
            "wood-fired pizzas, natural wines and Sunday sharing boards",
            "groups of friends in Cardiff looking for a relaxed night out",
            &[
                "2-for-1 pizzas every Tuesday, plus bottomless dough balls for tables of six or more",
                "sourdough bases left to prove for 48 hours and topped with cheese and meats from Welsh farms",
                "Book the mezzanine for a birthday and we'll bring a free bottle of prosecco to the table.",
            ],
            Tone::Playful,
            "Book a table",
            ["table bookings", "guests"],
        )),
    ),
    of(
        Vertical::Hospitality,
        consumer(brand(
            "The Saltmarsh Inn",
            "a coastal pub with rooms and a seasonal seafood menu",
            "couples planning a weekend away on the Norfolk coast",
            &[
                "wake up to sea views and a full Norfolk breakfast made with eggs from the farm next door",
                "dog-friendly rooms with a welcome pack of treats, towels and a map of the best walks",
                "stay 3 nights midweek and save 25% on your room from November through to March",
                "Sunday roasts with local beef, Cromer crab in season and real ales from the brewery up the road.",
            ],
            Tone::Friendly,
            "Check availability",
            ["room enquiries", "guests"],
        )),
    ),
    of(
        Vertical::Hospitality,
        consumer(brand(
            "Fernhill Glamping Co.",
            "bell tents, shepherd's huts and wood-fired hot tubs in the Lake District",
            "couples and families who want a proper break from their screens",
            &[
                "fall asleep under the stars in a heated bell tent with a real bed and proper linen",
                "Every hut has its own fire pit, and we'll leave the logs and marshmallows ready for you.",
                "4 nights for the price of 3 on all Sunday-to-Thursday stays this spring",
            ],
            Tone::Bold,
            "Book your escape",
            ["booking enquiries", "guests"],
        )),
    ),
    of(
        Vertical::Retail,
        consumer(brand(
            "Oxbow & Thread",
            "handmade linen clothing and homewares",
            "shoppers who would rather buy once and buy well",
            &[
                "washed linen shirts, dresses and bedding, cut and sewn in our Lancashire workshop",
                "free repairs for life on anything you buy from us, because good clothes should last",
                "Order by 2pm and your parcel goes out the same day in plastic-free packaging.",
            ],
            Tone::Professional,
            "Shop the collection",
            ["first orders", "customers"],
        )),
    ),
    of(
        Vertical::Retail,
        consumer(brand(
            "Petal & Stem Ltd.",
            "seasonal bouquets and monthly flower subscriptions",
            "people in London who want to send something thoughtful",
            &[
                "40% off your first subscription box, then fresh British-grown stems every month",
                "next-day delivery across London on orders placed before 8pm, Sundays included",
                "a handwritten card with every bouquet, so it never feels like it came from a warehouse",
            ],
            Tone::Friendly,
            "Send flowers",
            ["first orders", "customers"],
        )),
    ),
    of(
        Vertical::Fitness,
        consumer(brand(
            "Iron Vale Strength Club",
            "a strength and conditioning gym with coached small-group sessions",
            "adults in Glasgow who want to get properly strong",
            &[
                "lift with a coach in groups of no more than 6, following a programme written around you",
                "open 5am to 10pm, seven days a week, with no joining fee and no 12-month contract",
                "Most members add 20kg to their deadlift in their first 3 months.",
            ],
            Tone::Bold,
            "Claim your free week",
            ["free trial sign-ups", "members"],
        )),
    ),
    of(
        Vertical::Fitness,
        consumer(brand(
            "Stillwater Pilates",
            "reformer Pilates classes",
            "busy professionals in Edinburgh",
            &[
                "3 reformer classes for £30 when you book your very first week with us",
                "an instructor who corrects your form, in classes capped at 8 people and never more",
                "Early, lunchtime and evening classes, so you can fit a session around your working day.",
            ],
            Tone::Professional,
            "Book your first class",
            ["intro class bookings", "clients"],
        )),
    ),
    of(
        Vertical::Fitness,
        consumer(brand(
            "Ridgeline Run Club",
            "personalised running plans and coached weekend group runs",
            "new runners training for their first 10K or half marathon",
            &[
                "train for your first half marathon with a plan that adapts when life gets in the way",
                "Saturday group runs at 3 different paces, so nobody gets left behind and nobody gets bored",
                "monthly video check-ins with a qualified coach who reviews every run you log",
            ],
            Tone::Playful,
            "Join the club",
            ["club sign-ups", "runners"],
        )),
    ),
    of(
        Vertical::LocalServices,
        consumer(brand(
            "Alder Plumbing & Heating Ltd.",
            "boiler servicing, repairs and emergency plumbing",
            "homeowners and landlords in Nottingham",
            &[
                "Gas Safe registered engineers at your door within 2 hours for leaks and burst pipes",
                "a fixed price agreed before we start, with no call-out charge on weekdays",
                "Every boiler we fit comes with a 10-year parts and labour guarantee.",
            ],
            Tone::Professional,
            "Get a quote",
            ["quote requests", "customers"],
        )),
    ),
    of(
        Vertical::LocalServices,
        consumer(brand(
            "The Gilded Fringe",
            "cuts, colour and balayage in a relaxed independent salon",
            "women and men in Bath looking for a stylist who actually listens",
            &[
                "a free 15-minute consultation before any colour appointment, so there are no surprises",
                "£10 off your first cut and blow-dry when you book online for a Tuesday or Wednesday",
                "Our stylists trained in London and Milan, and they still love a good natter.",
            ],
            Tone::Friendly,
            "Book an appointment",
            ["new client bookings", "clients"],
        )),
    ),
    of(
        Vertical::ProfessionalServices,
        brand(
            "Lanternfish Marketing Co.",
            "paid social and SEO campaigns for independent retailers",
            "founders of independent retail and e-commerce brands",
            &[
                "a fixed monthly fee with no surprises and no 12-month lock-in, ever",
                "cut your cost per sale by up to 30% in the first 90 days, or your next month is free",
                "Monthly reports in plain English that show exactly where every pound of your budget went.",
            ],
            Tone::Bold,
            "Book a strategy call",
            ["discovery calls", "clients"],
        ),
    ),
    CorpusBrand {
        placeholder: true,
        ..brand(
            "Your Company",
            "your product",
            "your customers",
            &[],
            Tone::Friendly,
            "Learn more",
            ["leads", "customers"],
        )
    },
];

impl CorpusBrand {
    /// The brand's made-up web host name: its name's letters and digits, lower case.
    fn host(&self) -> String {
        self.company
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    }

    /// The brand profile (the placeholder for the brand without one).
    pub fn brand(&self) -> Option<Brand> {
        if self.placeholder {
            return None;
        }
        let host = self.host();
        Some(Brand {
            company_name: self.company.into(),
            product: self.product.into(),
            audience: self.audience.into(),
            value_propositions: self
                .value_propositions
                .iter()
                .map(|v| (*v).to_owned())
                .collect(),
            tone: self.tone,
            cta_text: self.cta.into(),
            cta_url: format!("https://{host}.example/start"),
            primary_color: "#1f4e79".into(),
            accent_color: "#f2a900".into(),
            sign_off: format!("The {} team", self.company),
            postal_address: format!("{}, 1 High Street, Springfield", self.company),
            unsubscribe_text: "Unsubscribe".into(),
            market: self.market,
            double_opt_in: None,
            industry: None,
            vertical: self.vertical,
            story: self.story(),
        })
    }

    /// The brand's story material: complete for most brands, left out for the empathetic-toned
    /// ones (so the writer is also run without any of it).
    pub fn story(&self) -> BrandStory {
        if self.tone == Tone::Empathetic {
            return BrandStory::default();
        }
        let host = self.host();
        // Story material a brand of this world would write.
        let (pain, plan, reward, incentive, name, role) = match self.vertical {
            Some(Vertical::FoodDrink) => (
                "stale supermarket bread".to_owned(),
                "Family Box",
                "a free loaf",
                "a free coffee",
                "Priya Shah",
                "Subscriber since 2024",
            ),
            Some(Vertical::Retail) => (
                "sizes that never quite fit".to_owned(),
                "Members' Club",
                "£10 off",
                "free delivery",
                "Jo Evans",
                "Customer since 2023",
            ),
            Some(Vertical::LocalServices) => (
                "waiting in all day for someone who never turns up".to_owned(),
                "Annual Care",
                "£20 off your next job",
                "10% off your next booking",
                "Dave Morgan",
                "Customer since 2022",
            ),
            Some(Vertical::Health) => (
                "waiting weeks for an appointment".to_owned(),
                "Family Care",
                "a free check-up",
                "a free review appointment",
                "Amira Khan",
                "Patient since 2021",
            ),
            Some(Vertical::Fitness) => (
                "workouts that never stick".to_owned(),
                "Premium",
                "a free month",
                "a half-price month",
                "Tom Reid",
                "Member since 2024",
            ),
            Some(Vertical::Nonprofit) => (
                "feeling that one person can't make a difference".to_owned(),
                "Guardian Circle",
                "a thank-you card from the team",
                "a behind-the-scenes visit",
                "Helen Price",
                "Supporter since 2019",
            ),
            Some(Vertical::Education) => (
                "courses that never get finished".to_owned(),
                "Mentor Track",
                "a free lesson",
                "a free catch-up session",
                "Lena Novak",
                "Student since 2024",
            ),
            Some(Vertical::Hospitality) => (
                "holidays that need a holiday afterwards".to_owned(),
                "Explorer",
                "£50 off your next stay",
                "a free night",
                "Mark Hughes",
                "Guest since 2023",
            ),
            Some(Vertical::ProfessionalServices) => (
                "paperwork that eats your evenings".to_owned(),
                "Partner",
                "a free consultation",
                "a free accounts review",
                "Sam Patel",
                "Client since 2021",
            ),
            Some(Vertical::B2bSoftware) | None => (
                format!("chasing {} by hand", self.lead_unit),
                "Premium",
                "a free month",
                "15% off your next renewal",
                "Sam Patel",
                "Customer since 2024",
            ),
        };
        BrandStory {
            short_benefits: self
                .value_propositions
                .iter()
                .filter(|v| v.chars().count() <= 30)
                .map(|v| crate::brief::capitalize(v))
                .collect(),
            pains: vec![pain],
            proof_points: vec![format!("Chosen by {} across the country", self.customers)],
            testimonials: vec![Testimonial {
                quote: format!("{} made it simple from the first week.", self.company),
                name: name.into(),
                role: role.into(),
            }],
            offers: Offers {
                upgrade_plan: Some(plan.into()),
                upgrade_url: Some(format!("https://{host}.example/premium")),
                referral_reward: Some(reward.into()),
                winback_incentive: Some(incentive.into()),
            },
            login_url: Some(format!("https://{host}.example/login")),
        }
    }

    /// The internal objective of a campaign of `campaign_type`: numbers, deadlines and KPIs
    /// that must never reach the audience.
    pub fn objective(&self, campaign_type: CampaignType) -> String {
        match campaign_type {
            CampaignType::LeadGen => format!("Get 40 {} by March", self.lead_unit),
            CampaignType::BrandAwareness => {
                format!("Make 50,000 people aware of {} by Q3", self.company)
            }
            CampaignType::ClientRetention => {
                format!("Keep 95% of {} before the end of the year", self.customers)
            }
            CampaignType::ReEngagement => {
                format!("Win back 300 lapsed {} within 60 days", self.customers)
            }
            CampaignType::Upsell => {
                format!("Move 120 {} to the premium plan by June", self.customers)
            }
            CampaignType::Referral => {
                format!("Get 200 referrals from happy {} by April", self.customers)
            }
        }
    }
}

/// A campaign of `campaign_type` for corpus brand number `index`.
pub fn campaign(index: usize, campaign_type: CampaignType) -> Campaign {
    let at = Utc
        .with_ymd_and_hms(2027, 1, 4, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let type_index = CampaignType::ALL
        .iter()
        .position(|t| *t == campaign_type)
        .unwrap_or(0) as u128;
    Campaign {
        id: CampaignId::from_uuid(uuid::Uuid::from_u128(
            0x0194_0000_0000_7000_8000_0000_0000_0000 + (index as u128) * 16 + type_index,
        )),
        org_id: OrgId::from_uuid(uuid::Uuid::from_u128(
            0x0194_0000_0000_7000_8000_0000_0000_ffff,
        )),
        campaign_type,
        objective: BRANDS[index % BRANDS.len()].objective(campaign_type),
        status: CampaignStatus::Draft,
        performance: serde_json::json!({}),
        plan: CampaignPlan {
            channels: vec![
                Channel::Email,
                Channel::Linkedin,
                Channel::X,
                Channel::Facebook,
                Channel::Instagram,
            ],
            ..CampaignPlan::default()
        },
        created_at: at,
        updated_at: at,
    }
}

/// Every brief of the corpus: each brand × campaign type × seed.
pub fn briefs(seeds: &[u64]) -> Vec<Brief> {
    let mut out = Vec::new();
    for (index, b) in BRANDS.iter().enumerate() {
        for &campaign_type in CampaignType::ALL {
            for &seed in seeds {
                out.push(Brief::new(campaign(index, campaign_type), b.brand(), seed));
            }
        }
    }
    out
}

/// What a writer did over the corpus.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Assets written.
    pub assets: usize,
    /// Findings per rule.
    pub by_rule: BTreeMap<Rule, usize>,
    /// Failed limit checks.
    pub limit_failures: usize,
    /// The first failed limit checks (at most 20): the asset and what failed.
    pub limit_examples: Vec<(String, String)>,
    /// The first findings of each rule (at most 5 per rule), with the brand and asset.
    pub examples: Vec<(String, Finding)>,
    /// Every sentence written: its brand, seed, campaign type and asset type, and the text.
    pub sentences: Vec<WrittenSentence>,
}

/// One sentence the writer wrote for the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSentence {
    /// The brand's name.
    pub brand: String,
    /// The seed.
    pub seed: u64,
    /// The campaign type and asset type, e.g. `referral/email_sequence`.
    pub asset: String,
    /// The sentence.
    pub text: String,
}

impl Report {
    /// Findings of every rule.
    pub fn findings(&self) -> usize {
        self.by_rule.values().sum()
    }

    /// Adds one asset's findings and limit failures.
    pub fn add(&mut self, label: &str, findings: Vec<Finding>, limit_failures: usize) {
        self.assets += 1;
        self.limit_failures += limit_failures;
        for finding in findings {
            let seen = self.by_rule.entry(finding.rule).or_default();
            *seen += 1;
            if *seen <= 5 {
                self.examples.push((label.to_owned(), finding));
            }
        }
    }

    /// The share of sentences (at least four words) that another brand's copy also holds word
    /// for word, and the first few of them.
    pub fn cross_brand_identical(&self) -> (f64, Vec<String>) {
        let mut brands: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        let counted: Vec<&WrittenSentence> = self
            .sentences
            .iter()
            .filter(|s| s.text.split_whitespace().count() >= 4)
            .collect();
        for s in &counted {
            brands.entry(&s.text).or_default().insert(&s.brand);
        }
        let shared: Vec<&&WrittenSentence> = counted
            .iter()
            .filter(|s| brands.get(s.text.as_str()).is_some_and(|b| b.len() > 1))
            .collect();
        let mut examples: Vec<String> = shared.iter().map(|s| s.text.clone()).collect();
        examples.sort();
        examples.dedup();
        examples.truncate(40);
        (shared.len() as f64 / counted.len().max(1) as f64, examples)
    }

    /// The share of the sentences written with seed `a` that the same brand's same asset does
    /// not hold with seed `b`.
    pub fn seed_difference(&self, a: u64, b: u64) -> f64 {
        let of_b: std::collections::BTreeSet<(&str, &str, &str)> = self
            .sentences
            .iter()
            .filter(|s| s.seed == b)
            .map(|s| (s.brand.as_str(), s.asset.as_str(), s.text.as_str()))
            .collect();
        let of_a: Vec<&WrittenSentence> = self.sentences.iter().filter(|s| s.seed == a).collect();
        let differing = of_a
            .iter()
            .filter(|s| !of_b.contains(&(s.brand.as_str(), s.asset.as_str(), s.text.as_str())))
            .count();
        differing as f64 / of_a.len().max(1) as f64
    }

    /// A Markdown table row per rule: `| rule | count |`.
    pub fn table_rows(&self) -> Vec<(Rule, usize)> {
        Rule::ALL
            .iter()
            .map(|r| (*r, self.by_rule.get(r).copied().unwrap_or(0)))
            .collect()
    }
}

/// Every finding of `write` over the corpus, each with its brand, campaign type, asset type
/// and seed.
pub fn run_all(
    briefs: &[Brief],
    mut write: impl FnMut(&Brief, &CopySpec) -> AssetCopy,
) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    for brief in briefs {
        let ctx = LintContext::new(brief);
        for &asset_type in brief.campaign.campaign_type.asset_types() {
            let spec = CopySpec::new(
                asset_type,
                brief.campaign.campaign_type,
                &brief.campaign.plan.channels,
            );
            let label = format!(
                "{} / {} / {} / seed {}",
                brief.brand.company_name,
                brief.campaign.campaign_type.as_str(),
                asset_type.as_str(),
                brief.seed
            );
            for finding in lint(&write(brief, &spec), &ctx) {
                out.push((label.clone(), finding));
            }
        }
    }
    out
}

/// Runs `write` over every brief and asset type of the corpus and lints what it wrote.
pub fn run(briefs: &[Brief], mut write: impl FnMut(&Brief, &CopySpec) -> AssetCopy) -> Report {
    let mut report = Report::default();
    for brief in briefs {
        let ctx = LintContext::new(brief);
        for &asset_type in brief.campaign.campaign_type.asset_types() {
            let spec = CopySpec::new(
                asset_type,
                brief.campaign.campaign_type,
                &brief.campaign.plan.channels,
            );
            let copy = write(brief, &spec);
            let checks = copy.check(&spec);
            let failed = checks.failures();
            let limits = failed.len();
            let label = format!(
                "{} / {} / {} / seed {}",
                brief.brand.company_name,
                brief.campaign.campaign_type.as_str(),
                asset_type.as_str(),
                brief.seed
            );
            for check in failed {
                if report.limit_examples.len() < 20 {
                    report.limit_examples.push((
                        label.clone(),
                        format!(
                            "{} is {} (allowed {}..={})",
                            check.field, check.length, check.min, check.max
                        ),
                    ));
                }
            }
            report.add(&label, lint(&copy, &ctx), limits);
            let asset = format!(
                "{}/{}",
                brief.campaign.campaign_type.as_str(),
                asset_type.as_str()
            );
            report
                .sentences
                .extend(
                    copy_sentences(&copy)
                        .into_iter()
                        .map(|text| WrittenSentence {
                            brand: brief.brand.company_name.clone(),
                            seed: brief.seed,
                            asset: asset.clone(),
                            text,
                        }),
                );
        }
    }
    report
}
