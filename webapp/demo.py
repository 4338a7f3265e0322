"""Believable demo data: residents answering over a year, unevenly by topic, place and time.

Everything generated here lives in the demo city (flagged ``is_demo``) and is produced by
the same services real residents go through; the rollup applier counts it as it counts theirs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.service import Timing
from webapp.clock import local_today, utcnow
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.models import LEAF_LEVELS, Region

TIMING = Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(hours=2))
#: how much harder or easier each topic is than average (invented for the demo)
TOPIC_DIFFICULTY = {
    "call-119": 0.08,
    "electricity": -0.06,
    "e-bikes": -0.1,
    "kitchen-gas": 0.0,
    "fire-use": 0.04,
    "extinguishers": -0.14,
    "escape": -0.04,
    "home": 0.02,
    "public-places": 0.05,
    "rural": -0.08,
}


def resident_answers(items: list, library: Library, skill: float, rng: random.Random) -> dict[int, list[int]]:
    """Answers to served ``items`` (as a draw keeps them): right with a probability from the
    resident's skill and the topic; wrong answers favour the first wrong option, as a common
    misconception would."""
    choices = {}
    for i, item in enumerate(items):
        question = library.bank.questions[item["q"]]
        p = min(0.98, max(0.05, skill + TOPIC_DIFFICULTY.get(question.topic, 0) - 0.05 * (question.difficulty - 1)))
        right = [pos for pos, key in enumerate(item["o"]) if question.option(key).correct]
        wrong = [pos for pos, key in enumerate(item["o"]) if not question.option(key).correct]
        if rng.random() < p:
            choices[i] = right if question.type == "multiple" else right[:1]
        else:
            ordered = sorted(wrong, key=lambda pos: item["o"][pos])  # the same tempting option each time
            choices[i] = [ordered[0] if rng.random() < 0.6 else rng.choice(wrong)]
    return choices


def seed_demo_attempts(
    library: Library, city: Region, attempts: int, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> int:
    """About ``attempts`` quiz attempts by residents of the demo city over the last twelve months.

    Communities differ in how well residents know the material, knowledge improves
    over the year, some residents retake the survey after reading, a few surveys are left
    incomplete and some are opened and never handed in. Returns the number of attempts made.
    """
    rng = random.Random(seed)
    communities = list(
        db.session.execute(
            select(Region).where(Region.path.like(f"{city.path}%"), Region.level.in_(LEAF_LEVELS)).order_by(Region.id)
        ).scalars()
    )
    base = {c.id: rng.uniform(0.55, 0.85) - (0.06 if c.level == "village" else 0) for c in communities}
    weights = [c.population or 1 for c in communities]
    end = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)
    lessons = list(library.catalog.lessons)
    made = residents = 0
    while made < attempts:
        community = rng.choices(communities, weights)[0]
        respondent, _token = learn.enroll_respondent(community)
        days_ago = int(rng.triangular(0, 365, 30))  # more activity recently, as a campaign builds
        when = end - timedelta(days=days_ago, minutes=rng.randrange(600))
        skill = base[community.id] + 0.08 * (365 - days_ago) / 365 + rng.gauss(0, 0.08)
        residents += 1
        if residents % 7 == 3:
            # one resident in seven opens the survey and leaves before handing it in: active on
            # the platform (usage) without being reached by it (education)
            quizzes.start_draw(library, library.survey, respondent, community, TIMING, now=when)
            continue
        made += _sitting(
            # one resident in 25 leaves the survey unfinished
            library,
            respondent,
            community,
            library.survey,
            when,
            skill,
            rng,
            incomplete=residents % 25 == 12,
        )
        if rng.random() < 0.35:  # read a lesson, check it, and perhaps take the survey again
            lesson = rng.choice(lessons)
            when += timedelta(days=rng.randrange(0, 20), minutes=30)
            if when < end:
                learn.complete_lesson(respondent, lesson, now=when)
                made += _sitting(
                    library, respondent, community, library.quizzes[f"check-{lesson}"], when, skill + 0.1, rng
                )
                if rng.random() < 0.5:
                    made += _sitting(
                        library, respondent, community, library.survey, when + timedelta(hours=1), skill + 0.08, rng
                    )
        if progress and made % 200 < 3:
            progress(made)
    db.session.flush()
    return made


def _sitting(
    library: Library,
    respondent: Respondent,
    community: Region,
    quiz,
    when: datetime,
    skill: float,
    rng: random.Random,
    incomplete: bool = False,
) -> int:
    draw = quizzes.start_draw(library, quiz, respondent, community, TIMING, now=when)
    choices = resident_answers(draw.items, library, skill, rng)
    if incomplete:
        choices.pop(len(choices) - 1)
    quizzes.submit_draw(library, draw, choices, now=when + timedelta(minutes=rng.randrange(2, 9)))
    return 1


# --- volunteers and activities -----------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "玉兰",
    "海燕",
    "志强",
    "淑珍",
    "红梅",
    "国庆",
]
CHANNEL_WEIGHTS = {"community": 5, "family": 3, "school": 2, "enterprise": 2, "rural": 1, "organ": 1, "online": 1}
KIND_WEIGHTS = {"talk": 4, "door_to_door": 3, "drill": 2, "training": 2, "exhibition": 1, "open_day": 1, "other": 1}
TITLES = {
    "talk": "消防安全知识宣讲",
    "door_to_door": "敲门入户查隐患",
    "drill": "疏散逃生演练",
    "training": "灭火器使用培训",
    "exhibition": "消防安全图片展",
    "open_day": "消防站开放日",
    "other": "消防宣传进万家",
}


def seed_demo_volunteers_and_activities(city: Region, by, seed: int = 2026) -> tuple[int, int]:
    """Volunteers (some trained, one ambassador in most communities, a team per street) and a
    year of 五进 activities with volunteers' service hours, through the domain's own services.

    Phone numbers are generated in one block (199 0000 …) and shown masked like all others.
    """
    from webapp.campaigns import service as campaigns
    from webapp.volunteers import service as volunteers

    rng = random.Random(seed)
    leaves = list(
        db.session.execute(
            select(Region).where(Region.path.like(f"{city.path}%"), Region.level.in_(LEAF_LEVELS)).order_by(Region.id)
        ).scalars()
    )
    today = local_today()
    made_volunteers = made_activities = 0
    phone = 19900000000
    streets_with_team: set[int] = set()
    for community in leaves:
        if community.parent_id not in streets_with_team:
            volunteers.create_team(f"{community.parent.name_zh}消防志愿服务队", community.parent, by)
            streets_with_team.add(community.parent_id)
        members = []
        for _ in range(rng.randint(3, 12)):
            phone += rng.randint(1, 97)
            data = {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": str(phone),
                "birth_year": rng.randint(1950, 2004),
                "gender": rng.choice(["female", "male"]),
                "skills": rng.sample(
                    ["first_aid", "electrician", "driver", "publicity", "drill_guide"], rng.randint(0, 2)
                ),
                "languages": ["putonghua"],
                "availability": rng.choice(["weekdays", "evenings", "weekends", "any_time"]),
                "consent": True,
            }
            volunteer = volunteers.register_volunteer(data, community, "staff", by)
            if rng.random() < 0.5:
                volunteers.add_training(
                    volunteer,
                    "灭火器与逃生技能培训",
                    4,
                    today - timedelta(days=rng.randint(10, 300)),
                    rng.random() < 0.6,
                    by,
                )
            members.append(volunteer)
            made_volunteers += 1
        if rng.random() < 0.75:
            volunteers.designate_ambassador(community, members[0], by)
        for _ in range(rng.randint(2, 8)):
            kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
            channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
            data = {
                "title": TITLES[kind],
                "channel": channel,
                "kind": kind,
                "held_on": today - timedelta(days=int(rng.triangular(0, 360, 20))),
                "place": f"{community.name_zh}{rng.choice(['活动室', '广场', '小学', '文化站'])}",
                "participants": rng.randint(15, 260),
                "materials": rng.randint(0, 400),
                "notes": "",
            }
            activity = campaigns.create_activity(data, community, by, today=today)
            served = rng.sample(members, min(len(members), rng.randint(1, 4)))
            campaigns.set_service(activity, {v: float(rng.choice([1, 1.5, 2, 3, 4])) for v in served}, by)
            made_activities += 1
    db.session.flush()
    return made_volunteers, made_activities
