//! Who followed a public link or opened a landing page, as far as counting is concerned: a
//! person, or software acting on its own (crawlers, link previews, mail scanners that open
//! every link of a message, prefetching). Software is sent on but never counted, and a
//! person's repeated visits count once per link and hour; an address sending more tracking
//! requests than the server's per-address limit is sent on but not counted past it.

/// Substrings (lower case) of the user agents of crawlers, link previewers, security scanners
/// and scripted clients.
pub const AUTOMATED_AGENTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "facebookexternalhit",
    "embedly",
    "quora link",
    "whatsapp",
    "skypeuripreview",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "curl/",
    "wget",
    "libwww",
    "okhttp",
    "java/",
    "apache-httpclient",
    "node-fetch",
    "axios",
    "barracuda",
    "proofpoint",
    "mimecast",
    "safelinks",
    "symantec",
    "trendmicro",
    "forcepoint",
    "scanner",
];

/// What the request said about its sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visit {
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Whether it was a `HEAD` request (link checkers).
    pub head: bool,
    /// Whether the browser said it was only prefetching (`Purpose` or `Sec-Purpose:
    /// prefetch`).
    pub prefetch: bool,
    /// Who the visitor is, stably: the landing page's visitor cookie, or the address and user
    /// agent. The engine keeps only a keyed hash of it.
    pub visitor: String,
    /// Whether its address sent more public tracking requests in the last minute than the
    /// server's limit allows: it is still sent on, but not counted.
    pub throttled: bool,
}

impl Visit {
    /// A person's visit in an ordinary browser, known as `visitor`.
    pub fn browser(visitor: impl Into<String>) -> Self {
        Self {
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
            ),
            head: false,
            prefetch: false,
            visitor: visitor.into(),
            throttled: false,
        }
    }

    /// Why the visit is not counted, if it is not: software acting on its own, or an address
    /// over its limit of tracking requests. `None` for a person.
    pub fn automated(&self) -> Option<&'static str> {
        if self.throttled {
            return Some("an address over its limit of tracking requests");
        }
        if self.head {
            return Some("a HEAD request");
        }
        if self.prefetch {
            return Some("a prefetch");
        }
        let agent = self
            .user_agent
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if agent.trim().is_empty() {
            return Some("no user agent");
        }
        AUTOMATED_AGENTS
            .iter()
            .any(|a| agent.contains(a))
            .then_some("a known crawler, previewer or scanner")
    }
}

/// What became of one public tracking request (a click on a tracked link, a landing page
/// view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestVerdict {
    /// Counted in the campaign's results.
    Counted,
    /// The same visitor and link again within the hour: not counted again.
    Repeated,
    /// Software acting on its own (crawler, preview, scanner, `HEAD`, prefetch).
    Automated,
    /// Its address was over the per-address limit.
    Throttled,
}

impl RequestVerdict {
    /// Every verdict.
    pub const ALL: [RequestVerdict; 4] = [
        RequestVerdict::Counted,
        RequestVerdict::Repeated,
        RequestVerdict::Automated,
        RequestVerdict::Throttled,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestVerdict::Counted => "counted",
            RequestVerdict::Repeated => "repeated",
            RequestVerdict::Automated => "automated",
            RequestVerdict::Throttled => "throttled",
        }
    }

    /// The verdict with stored name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// Public tracking requests of one kind as received (`raw`) and by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestCounts {
    /// Every request received.
    pub raw: u64,
    /// Those counted in the results (what predictions learn from).
    pub counted: u64,
    /// The same visitor and link again within the hour.
    pub repeated: u64,
    /// Software acting on its own.
    pub automated: u64,
    /// Over the per-address limit.
    pub throttled: u64,
}

impl RequestCounts {
    /// Adds `total` requests with `verdict`.
    pub fn add(&mut self, verdict: RequestVerdict, total: u64) {
        self.raw += total;
        match verdict {
            RequestVerdict::Counted => self.counted += total,
            RequestVerdict::Repeated => self.repeated += total,
            RequestVerdict::Automated => self.automated += total,
            RequestVerdict::Throttled => self.throttled += total,
        }
    }
}

/// A campaign's public clicks and landing page views, raw beside counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackedRequests {
    /// Clicks on tracked links.
    pub clicks: RequestCounts,
    /// Landing page views.
    pub page_views: RequestCounts,
}

impl Visit {
    /// Why the visit is not counted, as a verdict; `None` for a person within the limit.
    pub fn uncounted_verdict(&self) -> Option<RequestVerdict> {
        if self.throttled {
            Some(RequestVerdict::Throttled)
        } else {
            self.automated().map(|_| RequestVerdict::Automated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(agent: &str) -> Visit {
        Visit {
            user_agent: Some(agent.into()),
            visitor: "v".into(),
            ..Visit::default()
        }
    }

    #[test]
    fn people_count_and_software_does_not() {
        let browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        assert_eq!(visit(browser).automated(), None);
        for agent in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "facebookexternalhit/1.1",
            "python-requests/2.32.3",
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
            "",
        ] {
            assert!(visit(agent).automated().is_some(), "{agent}");
        }
        let head = Visit {
            head: true,
            ..visit(browser)
        };
        assert_eq!(head.automated(), Some("a HEAD request"));
        let prefetch = Visit {
            prefetch: true,
            ..visit(browser)
        };
        assert_eq!(prefetch.automated(), Some("a prefetch"));
    }
}
