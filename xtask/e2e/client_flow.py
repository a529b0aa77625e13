"""A marketer's first session, through the Python client generated from docs/openapi.json.

Creates a campaign, generates its assets, lists campaigns and reads the assets back. Run by
`cargo xtask e2e` with AME_BASE_URL and AME_API_KEY set; exits non-zero on any surprise.
"""

import os
import sys
import uuid

from ame_client import AuthenticatedClient
from ame_client.api.assets import generate_assets, get_asset, list_campaign_assets
from ame_client.api.campaigns import create_campaign, get_campaign, list_campaigns
from ame_client.models import AssetList, Campaign, CampaignPage, NewCampaign, ProblemDetails


def expect(condition: bool, message: str) -> None:
    if not condition:
        print(f"client flow failed: {message}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    client = AuthenticatedClient(
        base_url=os.environ["AME_BASE_URL"], token=os.environ["AME_API_KEY"]
    )
    with client as client:
        request = NewCampaign.from_dict(
            {
                "campaign_type": "lead_gen",
                "objective": "Book 40 demos with finance teams by March",
                "name": "Q1 finance demos",
                "planned_reach": 25000,
                "budget": "4000.00",
                "channels": ["linkedin", "email", "google_search"],
                "timezone": "Europe/Berlin",
            }
        )
        key = str(uuid.uuid4())
        created = create_campaign.sync(client=client, body=request, idempotency_key=key)
        expect(isinstance(created, Campaign), f"create returned {created!r}")
        expect(created.status == "draft", f"new campaign is {created.status}")
        retried = create_campaign.sync(client=client, body=request, idempotency_key=key)
        expect(isinstance(retried, Campaign) and retried.id == created.id, "retry created a second campaign")

        generated = generate_assets.sync(id=created.id, client=client)
        expect(isinstance(generated, AssetList), f"generate returned {generated!r}")
        types = [asset.asset_type for asset in generated.items]
        expect(types == ["landing_page", "email_sequence", "ad_creative"], f"asset types {types}")

        page = list_campaigns.sync(client=client, limit=10, campaign_type="lead_gen")
        expect(isinstance(page, CampaignPage), f"list returned {page!r}")
        expect(any(c.id == created.id for c in page.items), "the campaign is not listed")

        listed = list_campaign_assets.sync(id=created.id, client=client)
        expect(isinstance(listed, AssetList), f"asset list returned {listed!r}")
        expect([a.id for a in listed.items] == [a.id for a in generated.items], "asset ids differ")
        for asset in listed.items:
            one = get_asset.sync(id=asset.id, client=client)
            expect(one is not None and one.id == asset.id, f"asset {asset.id} not readable")
            expect(one.campaign_id == created.id, "asset belongs to another campaign")

        missing = get_campaign.sync(id=uuid.uuid4(), client=client)
        expect(isinstance(missing, ProblemDetails) and missing.status == 404, f"unknown id gave {missing!r}")

        print(f"client flow passed: campaign {created.id} with {len(listed.items)} assets")


if __name__ == "__main__":
    main()
