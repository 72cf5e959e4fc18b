"""AWS image URIs of the scikit-learn and XGBoost containers, per version and region.

Account ids as AWS publishes them for the SageMaker scikit-learn and XGBoost containers
(sagemaker-python-sdk ``image_uri_config/sklearn.json`` and ``xgboost.json``; the same
registries serve ``sagemaker-scikit-learn`` and ``sagemaker-xgboost`` >= 0.90-1).
"""

from __future__ import annotations

from typing import Final

from sagestep.errors import SpecError

REGISTRIES: Final[dict[str, str]] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

# framework -> (repository, {version: tag})
FRAMEWORKS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "sklearn": ("sagemaker-scikit-learn", {
        "0.23-1": "0.23-1-cpu-py3",
        "1.0-1": "1.0-1-cpu-py3",
        "1.2-1": "1.2-1-cpu-py3",
    }),
    "xgboost": ("sagemaker-xgboost", {
        "1.0-1": "1.0-1-cpu-py3",
        "1.2-1": "1.2-1",
        "1.2-2": "1.2-2",
        "1.3-1": "1.3-1",
        "1.5-1": "1.5-1",
        "1.7-1": "1.7-1",
    }),
}
DEFAULT_VERSIONS: Final[dict[str, str]] = {"sklearn": "1.2-1", "xgboost": "1.7-1"}


def image_uri(framework: str, version: str | None, region: str) -> str:
    """The ECR image URI of ``framework`` at ``version`` in ``region``."""
    if framework not in FRAMEWORKS:
        raise SpecError(f"unknown framework {framework!r}; known: {', '.join(sorted(FRAMEWORKS))}")
    repository, tags = FRAMEWORKS[framework]
    chosen = version or DEFAULT_VERSIONS[framework]
    if chosen not in tags:
        raise SpecError(
            f"{framework} has no container version {chosen!r}; known: {', '.join(tags)} "
            "(or set image: to a full image URI)"
        )
    if region not in REGISTRIES:
        raise SpecError(
            f"no {framework} image registry known for region {region!r}; known regions: "
            f"{', '.join(sorted(REGISTRIES))} (or set image: to a full image URI)"
        )
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{REGISTRIES[region]}.dkr.ecr.{region}.{domain}/{repository}:{tags[chosen]}"


def framework_of(image: str) -> tuple[str, str] | None:
    """``(framework, version)`` of a known framework image URI, else None."""
    repository, _, tag = image.rpartition("/")[2].partition(":")
    for framework, (repo, tags) in FRAMEWORKS.items():
        if repository == repo:
            for version, known in tags.items():
                if tag == known:
                    return framework, version
    return None
