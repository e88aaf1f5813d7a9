"""The topics of the platform and who consumes them: the one registry every other piece reads.

Topic names here are the logical names of the public contract. A deployment (or a test run) may put
a prefix in front of every topic and consumer-group name so that several environments share one
cluster; `TopicNaming` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it must exist on the cluster."""

    name: str
    partitions: int = 12
    compacted: bool = False
    configs: dict[str, str] = field(default_factory=dict)

    def kafka_configs(self) -> dict[str, str]:
        """Topic-level broker configs (`cleanup.policy` for compacted topics, plus any extras)."""
        configs = dict(self.configs)
        if self.compacted:
            configs.setdefault("cleanup.policy", "compact")
        return configs


SCHOOL_SETTINGS = "school.settings.v1"
SMS_REQUESTED = "sms.requested.v1"
SMS_SUBMITTED = "sms.submitted.v1"
SMS_RESOLVE = "sms.resolve.v1"
SMS_REJECTED = "sms.rejected.v1"
SMS_STATUS = "sms.status.v1"
SMS_REFRESH = "sms.refresh.v1"
PROVIDER_HEALTH = "provider.health.v1"

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(SCHOOL_SETTINGS, compacted=True),
    TopicSpec(SMS_REQUESTED),
    TopicSpec(SMS_SUBMITTED),
    TopicSpec(SMS_RESOLVE),
    TopicSpec(SMS_REJECTED),
    TopicSpec(SMS_STATUS),
    TopicSpec(SMS_REFRESH),
    TopicSpec(PROVIDER_HEALTH),
)

# Dead-letter topics are small and rarely written; a few partitions are plenty.
DLQ_PARTITIONS = 3


@dataclass(frozen=True)
class Subscription:
    """A consumer group of one service reading one topic."""

    service: str
    group: str
    topic: str


# What each service consumes today; a service refuses to start when its handlers disagree, and
# the AsyncAPI document is generated from this list.
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("events", "events", SMS_SUBMITTED),
    Subscription("events", "events", SMS_REJECTED),
    Subscription("events", "events", SMS_STATUS),
    Subscription("events", "events", PROVIDER_HEALTH),
    Subscription("dispatcher", "dispatcher", SCHOOL_SETTINGS),
    Subscription("dispatcher", "dispatcher", SMS_REQUESTED),
    Subscription("dispatcher", "dispatcher", SMS_RESOLVE),
    Subscription("status-poller", "status-poller", SCHOOL_SETTINGS),
    Subscription("status-poller", "status-poller", SMS_SUBMITTED),
    Subscription("status-poller", "status-poller", SMS_REJECTED),
    Subscription("status-poller", "status-poller", SMS_RESOLVE),
    Subscription("status-poller", "status-poller", SMS_REFRESH),
    Subscription("reporting", "reporting", SMS_REQUESTED),
    Subscription("reporting", "reporting", SMS_SUBMITTED),
    Subscription("reporting", "reporting", SMS_REJECTED),
    Subscription("reporting", "reporting", SMS_STATUS),
)


def dead_letter_topic(topic: str, group: str) -> str:
    """The logical name of the dead-letter topic of `group` reading `topic`."""
    return f"{topic}.{group}.dlq"


def all_topic_specs(extra_subscriptions: tuple[Subscription, ...] = ()) -> list[TopicSpec]:
    """Every topic to create: the public topics and one dead-letter topic per (topic, group)."""
    specs = list(TOPICS)
    seen = {spec.name for spec in specs}
    for sub in (*SUBSCRIPTIONS, *extra_subscriptions):
        name = dead_letter_topic(sub.topic, sub.group)
        if name not in seen:
            seen.add(name)
            specs.append(TopicSpec(name, partitions=DLQ_PARTITIONS))
    return specs


@dataclass(frozen=True)
class TopicNaming:
    """Applies the deployment's optional prefix to topic and consumer-group names."""

    prefix: str = ""

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def group(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def dead_letter(self, topic: str, group: str) -> str:
        return self.topic(dead_letter_topic(topic, group))
