"""A resident satisfaction survey export as a survey platform gives it.

One row per respondent: answer sheet number, timestamps, the respondent's personal
data (name, phone, ID number, IP address: fake but shaped like real ones, so that
ingestion has something to remove), county, then one column per question with the
answer as text. Vectorised with numpy so that benchmark-sized exports (millions of
rows) are written in seconds per million.

As on a real survey platform, some answer sheets are careless or repeated, so that the
statistics' screening and de-duplication (dbt int_survey__submissions) have work: a few
respondents answer in under two minutes (the durations start at 90 s), a few give one
and the same answer to every question (STRAIGHT_LINER_SHARE), and a few answer twice,
the second time a little later (REPEAT_SHARE: same name, phone and ID number, so the
same respondent_key at ingestion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cityhealth.core.reference import questionnaire_for_year, survey_questions

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊"
    "帆帅旭宁瑞晨欣怡梓涵子轩雨泽一诺思远"
)
ANSWERS = np.array(["非常不满意", "不满意", "一般", "满意", "非常满意", "不了解"])
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))
STRAIGHT_LINER_SHARE = 0.02  # respondents giving one answer to every question
REPEAT_SHARE = 0.02          # answer sheets of a respondent who already answered
IDENTITY = ("姓名", "手机号码", "身份证号", "IP地址")
# The questions on the four levels of the check (2024 on; ref_survey_questions.level_code)
# are answered from a random stream of their own (LEVEL_STREAM), so that adding them left
# every answer to the 2021 questions as it was. Their mean answer is the city's mean lean
# over the dimensions moved by the level's offset: residents in the demo are least
# satisfied with their compounds (old estates without lifts, parking, care) and most with
# the district as a whole.
LEVEL_STREAM = 2024
LEVEL_LEAN_OFFSET = {"housing": -0.15, "compound": -0.3, "block": 0.05, "district": 0.15}


def _id_numbers(rng: np.random.Generator, area_code: str, n: int) -> np.ndarray:
    """18-digit resident ID numbers (GB 11643) with a valid check digit."""
    birth = (np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, n)).astype(str)
    birth = np.char.replace(birth, "-", "")
    seq = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    body = np.char.add(np.char.add(area_code, birth), seq)
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48
    return np.char.add(body, ID_CHECK[(digits @ ID_WEIGHTS) % 11])


def respondents(county: dict[str, str], year: int, n: int, lean: Mapping[str, float],
                seed: int) -> pd.DataFrame:
    """n respondents of one county; lean: the mean answer (1–5) per dimension code, from
    the demo data model (``values.CityFactors.survey_lean``)."""
    questions = survey_questions(questionnaire_for_year(year))
    rng = np.random.default_rng([seed, int(county["area_code"]), year])
    frame: dict[str, object] = {}
    start = np.datetime64(f"{year}-09-01T08:00:00")
    submitted = start + rng.integers(0, 60 * 86400, n).astype("timedelta64[s]")
    frame["提交时间"] = np.char.replace(submitted.astype(str), "T", " ")
    frame["答题时长(秒)"] = rng.integers(90, 900, n)
    given = np.char.add(rng.choice(GIVEN, n), np.where(rng.random(n) < 0.6,
                                                       rng.choice(GIVEN, n), ""))
    frame["姓名"] = np.char.add(rng.choice(SURNAMES, n), given)
    frame["手机号码"] = np.char.add(rng.choice(["13", "15", "17", "18", "19"], n),
                                np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
    frame["身份证号"] = _id_numbers(rng, county["area_code"], n)
    frame["IP地址"] = np.char.add("10.", np.char.add(
        rng.integers(0, 256, n).astype(str), np.char.add(
            ".", np.char.add(rng.integers(0, 256, n).astype(str), np.char.add(
                ".", rng.integers(1, 255, n).astype(str))))))
    frame["所在区县代码"] = np.full(n, county["area_code"])
    frame["所在区县"] = np.full(n, county["area_name_zh"])
    level_rng = np.random.default_rng([seed, int(county["area_code"]), year, LEVEL_STREAM])
    general = float(np.mean(list(lean.values())))
    for position, question in enumerate(questions):
        wave = 0.1 * np.sin(position + int(county["area_code"]) % 7)
        if question.get("level_code"):
            frame[question["question_zh"]] = _answers(
                level_rng, general + LEVEL_LEAN_OFFSET[question["level_code"]] + wave, n)
        else:
            frame[question["question_zh"]] = _answers(
                rng, lean[question["dimension_code"]] + wave, n)
    _straight_liners(rng, frame, [q["question_zh"] for q in questions], n)
    _repeat_respondents(rng, frame, submitted, n)
    return pd.DataFrame(frame)


def _answers(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    """n answers to one question around a mean answer (1–5), 4 % 不了解."""
    scores = np.clip(np.rint(rng.normal(mean, 0.9, n)), 1, 5).astype(int) - 1
    scores[rng.random(n) < 0.04] = 5  # 不了解
    return ANSWERS[scores]


def _straight_liners(rng: np.random.Generator, frame: dict[str, object],
                     questions: list[str], n: int) -> None:
    """A few respondents tick one and the same scored answer for every question."""
    rows = np.flatnonzero(rng.random(n) < STRAIGHT_LINER_SHARE)
    answers = ANSWERS[rng.integers(0, 5, rows.size)]
    for question in questions:
        column = np.asarray(frame[question]).copy()
        column[rows] = answers
        frame[question] = column


def _repeat_respondents(rng: np.random.Generator, frame: dict[str, object],
                        submitted: np.ndarray, n: int) -> None:
    """A few sheets are a second answer of an earlier respondent of the county: the same
    identity (hence respondent_key), submitted 10 minutes to 3 days after the first."""
    rows = np.flatnonzero((rng.random(n) < REPEAT_SHARE) & (np.arange(n) > 0))
    first = (rng.random(rows.size) * rows).astype(int)  # an earlier sheet of the county
    for column in IDENTITY:
        values = np.asarray(frame[column]).copy()
        values[rows] = values[first]
        frame[column] = values
    later = submitted.copy()
    later[rows] = submitted[first] + rng.integers(600, 3 * 86400, rows.size).astype(
        "timedelta64[s]")
    frame["提交时间"] = np.char.replace(later.astype(str), "T", " ")


def write_survey_export(path: Path, year: int, counties: Sequence[dict[str, str]],
                        per_county: int, lean: Mapping[str, Mapping[str, float]], seed: int,
                        encoding: str = "gb18030") -> int:
    """Write one export for a survey year (lean: city -> dimension -> mean answer);
    returns the number of respondents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    first = True
    total = 0
    with open(path, "wb") as handle:
        for county in counties:
            frame = respondents(county, year, per_county, lean[county["city_code"]], seed)
            frame.insert(0, "答卷编号", [f"{year}{total + i + 1:09d}" for i in range(len(frame))])
            handle.write(frame.to_csv(index=False, header=first, lineterminator="\r\n")
                         .encode(encoding))
            first = False
            total += len(frame)
    return total
