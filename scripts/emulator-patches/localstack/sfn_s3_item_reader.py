"""Reviewed patch for LocalStack 4.14.0's Step Functions Distributed Map S3
item reader (applied by scripts/localstack.sh; idempotent; fails loudly if the
code moved).

Gaps, each against what AWS's S3 objects item reader (s3:listObjectsV2) does:
1. Items carried `ETag`; AWS's items carry `Etag` (our replay map selects
   `$$.Map.Item.Value.Etag`).
2. It read one ListObjectsV2 page (at most 1000 objects); AWS reads every
   object under the prefix.
3. An empty prefix raised KeyError('Contents'); AWS runs the map over no items.
"""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _patchlib import patch  # noqa: E402

patch(
    "services/stepfunctions/asl/component/state/state_execution/state_map/item_reader/resource_eval/resource_eval_s3.py",
    '''        parameters = env.stack.pop()
        response = s3_client.list_objects_v2(**parameters)  # noqa
        contents = response["Contents"]
        env.stack.append(contents)''',
    '''        parameters = env.stack.pop()
        # landing-to-lake patch: every page, and AWS's item shape (Etag, not ETag)
        contents = []
        while True:
            response = s3_client.list_objects_v2(**parameters)  # noqa
            for obj in response.get("Contents", []):
                if "ETag" in obj:
                    obj["Etag"] = obj.pop("ETag")
                contents.append(obj)
            if not response.get("IsTruncated"):
                break
            parameters = {**parameters, "ContinuationToken": response["NextContinuationToken"]}
        env.stack.append(contents)''',
    package="localstack",
)
