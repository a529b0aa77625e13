//! The email that asks a landing-page sign-up to confirm its address (double opt-in): in the
//! brand's colours and voice, one button, and what happens if the reader did not sign up.

use crate::html::{email_button, email_frame};
use ame_domain::Brand;
use maud::html;

/// A confirmation email, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationEmail {
    /// The subject line.
    pub subject: String,
    /// The HTML part.
    pub html: String,
    /// The plain-text part.
    pub text: String,
}

/// The confirmation email for a sign-up to `brand`, greeting `first_name` when known, whose
/// button opens `link`; the link works for `valid_days` days.
pub fn confirmation_email(
    brand: &Brand,
    first_name: Option<&str>,
    link: &str,
    valid_days: i64,
) -> ConfirmationEmail {
    let subject = format!("Please confirm your subscription to {}", brand.company_name);
    let greeting = first_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| "Hello,".to_owned(), |n| format!("Hi {n},"));
    let ask = format!(
        "You signed up to hear from {} about {}. Please confirm that this is your address, \
         so we only write to people who asked.",
        brand.company_name, brand.product
    );
    let button = "Yes, subscribe me";
    let not_you = format!(
        "If you did not sign up, ignore this email: you will not be subscribed, and the link \
         stops working after {valid_days} days."
    );
    let body = html! {
        p style="margin:0 0 16px;" { (greeting) }
        p style="margin:0 0 16px;" { (ask) }
        (email_button(brand, link, button))
        p style="margin:0 0 16px;font-size:14px;color:#444444;" { (not_you) }
        p style="margin:0;" { (brand.sign_off) }
    };
    let footer = html! { p style="margin:0;" { (brand.postal_address) } };
    let html = email_frame(brand, &subject, None, body, footer);
    let text = format!(
        "{greeting}\n\n{ask}\n\n{button}: {link}\n\n{not_you}\n\n{}\n\n--\n{}\n",
        brand.sign_off, brand.postal_address
    );
    ConfirmationEmail {
        subject,
        html,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_names_the_brand_links_once_and_escapes_what_it_is_given() {
        let mut brand = Brand::placeholder();
        brand.company_name = "Crumb & Co".into();
        let link = "https://ame.example/p/bread/confirm/abc.def";
        let email = confirmation_email(&brand, Some(" <Ada> "), link, 7);
        assert_eq!(
            email.subject,
            "Please confirm your subscription to Crumb & Co"
        );
        assert!(email.html.contains("Hi &lt;Ada&gt;,"), "{}", email.html);
        assert!(email.html.contains("Crumb &amp; Co"));
        assert_eq!(email.html.matches(link).count(), 1);
        assert!(email.text.contains(&format!("Yes, subscribe me: {link}")));
        assert!(email.text.contains("after 7 days"));
        assert!(email.text.contains(&brand.postal_address));
        let anonymous = confirmation_email(&brand, None, link, 7);
        assert!(anonymous.text.starts_with("Hello,\n"));
    }
}
