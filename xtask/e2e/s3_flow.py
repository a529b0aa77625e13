"""Generates a brand-awareness campaign's assets through AME configured with an S3 blob store
(moto's S3 server on loopback), downloads every file through the API, and checks that each one is
the object stored in the bucket under its content-addressed key."""

import hashlib
import json
import sys
import urllib.request

import boto3

BASE, KEY, ENDPOINT, BUCKET, PREFIX = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id="test",
                  aws_secret_access_key="test", region_name="us-east-1")


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + KEY)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.headers, response.read()


status, _, body = call("POST", "/api/marketing/campaign",
                       {"campaign_type": "brand_awareness", "objective": "Make 50,000 finance leaders aware of Ledgerly by Q3"})
assert status == 201, status
campaign = json.loads(body)
status, _, body = call("POST", "/api/marketing/generate-assets/" + campaign["id"])
assert status == 201, status
checked = 0
for asset in json.loads(body)["items"]:
    for file in asset["metadata"]["files"]:
        assert file["uri"] == f"s3://{BUCKET}/{PREFIX}/{file['key']}", file
        status, headers, data = call("GET", f"/api/marketing/assets/{asset['id']}/files/{file['name']}")
        assert status == 200 and headers["Content-Type"] == file["media_type"], (status, headers)
        assert hashlib.sha256(data).hexdigest() == file["sha256"]
        stored = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{file['key']}")["Body"].read()
        assert stored == data, file["name"]
        checked += 1
assert checked == 4, checked
print(f"{checked} banners stored in s3://{BUCKET}/{PREFIX} and served back byte for byte")
