//! The corpus's later brands: four or more per vertical for the verticals the first ones left
//! thin (long, messy inputs: 60–120-character benefits, prices, names ending in "Co." or
//! "Ltd."), and the brand without a profile.

use super::brands::{CorpusBrand, brand, consumer, of};
use ame_domain::{Tone, Vertical};

/// The brands added after the first ones, the profile-less placeholder last.
pub(super) const MORE: [CorpusBrand; 19] = [
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
