"""Question answering: read two facts, answer the question about one of them."""

from keraseq.posttraining.tasks.base import Example, Task

NAMES = ("Ada", "Bob", "Cy", "Dan", "Eve", "Fay", "Guy", "Ian", "Joe", "Kim", "Lea", "Max", "Ned")
PLACES = ("Oslo", "Rome", "Lima", "Kiev", "Bern", "Riga", "Baku", "Doha", "Oran", "Pisa", "Nice")


class QuestionAnswering(Task):
    """`"Ada is in Oslo, Bob in Rome. Where is Bob?"` → `"Rome"`: find the fact asked about."""

    name = "qa"
    capability = "question answering"
    description = "two people and their cities; answer where one of them is"

    def draw(self, rng):
        first, second = rng.choice(len(NAMES), 2, replace=False)
        places = rng.choice(len(PLACES), 2, replace=False)
        return int(first), int(second), int(places[0]), int(places[1]), int(rng.integers(2))

    def example(self, key):
        first, second, place_1, place_2, asked = key
        who = NAMES[(first, second)[asked]]
        prompt = f"{NAMES[first]} is in {PLACES[place_1]}, {NAMES[second]} in {PLACES[place_2]}."
        return Example(f"{prompt} Where is {who}?", PLACES[(place_1, place_2)[asked]])

    def alphabet(self):
        return set("".join(NAMES + PLACES) + " is in, . Where?")
