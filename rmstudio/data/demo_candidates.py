"""Hand-written candidate pairs for the Label tab demo: (category, prompt, response_a, response_b).

Both answers are plausible, but they differ the way real model outputs do: one is complete and the other
terse, one has a subtle error or a common misconception, one is alarmist or evasive. A few pairs are close
to a tie or both wrong, so every label button has a use. One programming prompt holds `<b>`, `&` and a code
block so the UI can show that it renders text safely.
"""

from __future__ import annotations

# fmt: off
CANDIDATES: tuple[tuple[str, str, str, str], ...] = (
    ("cooking", "How long should I rest a steak after cooking it, and why?",
     "Rest it about 5 minutes if it's thin and up to 10 if it's thick. While it rests the juices, which the heat "
     "pushed towards the centre, spread back out, so less of them run onto the board when you slice. Tent it "
     "loosely with foil so the crust stays crisp.",
     "Around 20 to 30 minutes so the inside finishes cooking. Wrap it tightly in foil to keep it hot."),
    ("cooking", "I have eggs, spinach, some feta and half an onion. What can I make for dinner in 20 minutes?",
     "You could make an omelette.",
     "A spinach and feta frittata. Soften the sliced onion in an oven-safe pan for 5 minutes, wilt the spinach "
     "in it, pour in 6 beaten eggs and crumble the feta on top. Cook on low for 5 minutes, then put it under "
     "the grill for 3 to 4 minutes until set and golden."),
    ("cooking", "Can I use baking soda instead of baking powder?",
     "Not one-for-one. Baking soda is about three to four times stronger and needs an acid to react. For each "
     "teaspoon of baking powder use 1/4 teaspoon of baking soda plus an acid, such as 1/2 teaspoon of cream of "
     "tartar, or swap some of the milk for buttermilk or yogurt.",
     "Yes, they're basically the same thing with different names, so use the same amount."),
    ("cooking", "Why does my homemade bread come out dense?",
     "Dense bread usually means the oven was too hot. Turn it down by 50 degrees next time.",
     "The usual causes: the dough didn't rise long enough, the yeast was old or killed by water that was too "
     "hot, too much flour went in while kneading, or it wasn't kneaded enough to build gluten. Use the poke "
     "test: risen dough springs back slowly when you press it with a floured finger."),
    ("cooking", "What's a good substitute for buttermilk?",
     "Stir 1 tablespoon of lemon juice or white vinegar into a cup of milk and let it stand for 5 to 10 "
     "minutes until it thickens slightly. Plain yogurt thinned with a little milk also works.",
     "Mix a cup of milk with a tablespoon of vinegar and wait a few minutes."),
    ("programming", "What's the difference between a list and a tuple in Python?",
     "Tuples are faster and lists are slower, so you should always use tuples.",
     "Lists are mutable: you can append, remove or change items. Tuples can't change once created, which makes "
     "them hashable (usable as dict keys when their items are) and tells readers the data is fixed.\n\n"
     "```python\npoint = (3, 4)   # tuple: fixed\nitems = [1, 2]\nitems.append(3)  # list: grows\n```"),
    ("programming", "How do I read a big file line by line in Python without loading it all into memory?",
     "Loop over the file object; Python reads one line at a time:\n\n```python\n"
     "with open(\"data.txt\", encoding=\"utf-8\") as f:\n    for line in f:\n        print(line.rstrip(\"\\n\"))\n"
     "```\n\nThe `with` block closes the file even if an error happens.",
     "Use `readlines()` and loop over the result:\n\n```python\nfor line in open(\"data.txt\").readlines():\n"
     "    print(line)\n```"),
    ("programming", "Why does my page show `<b>Tom & Jerry</b>` as literal text instead of bold? I set it like "
     "this:\n\n```js\nel.textContent = \"<b>Tom & Jerry</b>\";\n```",
     "`textContent` inserts plain text, so the browser shows the tags and the `&` exactly as written. That's "
     "the safe default. If the markup is trusted you can set `el.innerHTML = \"<b>Tom &amp; Jerry</b>\"`; if "
     "any part comes from users, build the element instead:\n\n```js\nconst b = document.createElement(\"b\");\n"
     "b.textContent = \"Tom & Jerry\";\nel.replaceChildren(b);\n```",
     "Just switch to `innerHTML`. It always works and there's no downside."),
    ("programming", "What does `git rebase` do compared to `git merge`?",
     "Rebase deletes the other branch's commits, while merge keeps them.",
     "Both bring changes from one branch into another. `merge` keeps history as it happened and adds a merge "
     "commit. `rebase` replays your commits on top of the other branch, so history is a straight line, but the "
     "commits get new ids. Avoid rebasing commits that others have already pulled."),
    ("programming", "Write a SQL query that counts orders per customer, highest count first.",
     "```sql\nSELECT customer_id, COUNT(*) AS orders\nFROM orders\nGROUP BY customer_id\nORDER BY orders DESC;\n```",
     "```sql\nSELECT customer_id, COUNT(*) FROM orders ORDER BY COUNT(*) DESC;\n```"),
    ("programming", "My JavaScript loop with `setTimeout` prints 3, 3, 3 instead of 0, 1, 2. Why?",
     "`setTimeout` is unreliable. Use a longer delay such as 1000 ms and it will print the right numbers.",
     "The loop uses `var`, so all three callbacks share one variable, and by the time they run the loop has "
     "finished and `i` is 3. Declare it with `let`, which makes a fresh binding for each iteration:\n\n"
     "```js\nfor (let i = 0; i < 3; i++) setTimeout(() => console.log(i), 0);\n```"),
    ("programming", "Explain recursion with a tiny example.",
     "A recursive function calls itself on a smaller input until it reaches a base case:\n\n```python\n"
     "def factorial(n):\n    if n <= 1:        # base case stops the calls\n        return 1\n"
     "    return n * factorial(n - 1)\n```\n\n`factorial(4)` is 4 × 3 × 2 × 1 = 24.",
     "Recursion is when a function calls itself:\n\n```python\ndef factorial(n):\n    return n * factorial(n - 1)\n```"),
    ("history", "Why did the Roman Empire split into East and West?",
     "It had become too large to govern from one place. Diocletian divided the administration among several "
     "emperors in the late 3rd century, and after Theodosius I died in 395 it was split for good between his "
     "two sons. The richer East, ruled from Constantinople, lasted until 1453; the West fell in 476.",
     "Because of a civil war between two brothers in 1066."),
    ("history", "What was the printing press's biggest impact?",
     "It made books.",
     "Gutenberg's movable-type press, from around 1450, made books far cheaper and faster to produce. Literacy "
     "spread, ideas travelled quickly (helping both the Reformation and the Scientific Revolution), and texts "
     "became standardised because every copy was identical."),
    ("history", "Who was the first person to walk on the Moon, and when?",
     "Buzz Aldrin, in 1969, followed shortly by Neil Armstrong.",
     "Neil Armstrong, on 20 July 1969, during the Apollo 11 mission. Buzz Aldrin joined him about 20 minutes later."),
    ("history", "Summarise the causes of the First World War in a few sentences.",
     "Long-term causes were militarism, two rival alliance blocs, competition for empire and nationalism in the "
     "Balkans. The trigger was the assassination of Archduke Franz Ferdinand in Sarajevo in June 1914, after "
     "which the alliances pulled the great powers into war within weeks.",
     "The assassination of Franz Ferdinand caused it."),
    ("travel", "I have two days in Rome. What should I prioritise?",
     "Day 1: the Colosseum and Roman Forum in the morning (book tickets ahead), the Pantheon and Piazza Navona "
     "in the afternoon, dinner in Trastevere. Day 2: the Vatican Museums and Sistine Chapel at opening time, "
     "St Peter's Basilica, then the Trevi Fountain and Spanish Steps in the cooler evening.",
     "See everything! Rome is amazing and you'll love it."),
    ("travel", "Do I need a visa to travel abroad?",
     "No, most countries let tourists in without a visa these days.",
     "It depends on your passport, where you're going and how long you'll stay. Tell me those three things and "
     "I can give you a rough answer, but the destination's official government website is the final word, "
     "and some countries need an online travel authorisation even when no visa is required."),
    ("travel", "How can I avoid jet lag flying from New York to London?",
     "Take a long nap as soon as you land and you'll be fine.",
     "Go to bed an hour earlier for a few nights before you fly, drink water and skip alcohol on the plane, and "
     "try to sleep on the overnight flight. When you land, get outside in daylight and stay up until a normal "
     "local bedtime."),
    ("travel", "What should I pack for a week of summer hiking in the Alps?",
     "Layers: a quick-dry T-shirt, a fleece and a waterproof jacket, because it can go from hot to near freezing "
     "in an afternoon. Add broken-in boots, a sun hat, sunscreen, a small first-aid kit, a map and a 1 to 2 "
     "litre water bottle.",
     "Shorts and T-shirts, since it's summer."),
    ("health", "How much water should I drink a day?",
     "Exactly 8 glasses for everyone, no more and no less.",
     "There's no single number. A common guide is about 2 litres a day for women and 2.5 for men from all "
     "drinks and food, more in hot weather or when exercising. Pale yellow urine is a simple sign you're "
     "drinking enough. If you have a heart or kidney condition, ask your doctor."),
    ("health", "I keep getting headaches in the afternoon at work. Any ideas?",
     "Common culprits are not drinking enough, skipping lunch, eye strain from screens, poor posture and "
     "caffeine wearing off. Try drinking water through the day, eating a proper lunch, looking away from the "
     "screen every 20 minutes and raising the screen to eye level. See a doctor if they are severe or new.",
     "That sounds like it could be a brain tumour. Go to the emergency room right away."),
    ("health", "Is it bad to stretch before running?",
     "Yes. Never stretch at all, it causes injuries.",
     "Long static stretches right before a run can slightly reduce power, so most coaches suggest a dynamic "
     "warm-up instead: 5 minutes of easy jogging plus leg swings, lunges and high knees. Save longer static "
     "stretches for after the run."),
    ("health", "How can I get more protein as a vegetarian?",
     "Eat more beans.",
     "Mix several sources through the day: eggs and Greek yogurt, lentils, chickpeas and beans, tofu and "
     "tempeh, nuts and seeds, and whole grains like quinoa. Adding one of these to every meal usually covers "
     "most adults' needs."),
    ("math", "What is 15% of 80?",
     "15% of 80 is 12: 10% of 80 is 8, 5% is half of that, 4, and 8 + 4 = 12.",
     "15% of 80 is 10.5."),
    ("math", "Explain what a derivative is to a high-school student.",
     "A derivative is the area under a curve.",
     "The derivative tells you how fast something is changing at one instant. If your position depends on "
     "time, its derivative is your speed right now. On a graph it's the slope of the tangent line: the "
     "derivative of x² is 2x, so at x = 3 the curve is rising with slope 6."),
    ("math", "Is 91 a prime number?",
     "No. 91 = 7 × 13, so it has divisors other than 1 and itself.",
     "Yes, 91 is prime because it's odd and doesn't end in 5."),
    ("math", "If I flip a fair coin three times, what's the chance of getting at least one head?",
     "50%, because each flip is 50/50.",
     "7/8, or 87.5%. The only way to get no heads is three tails, which has probability (1/2)³ = 1/8, so at "
     "least one head is 1 − 1/8 = 7/8."),
    ("math", "Solve 2x + 7 = 19.",
     "Subtract 7 from both sides: 2x = 12. Divide by 2: x = 6. Check: 2 × 6 + 7 = 19.",
     "x = 13."),
    ("writing", "Make this sentence more concise: \"In my personal opinion, I think that we should probably "
     "consider the possibility of moving the meeting to a later date.\"",
     "\"In my opinion, I personally think we should possibly consider moving the meeting to a later date.\"",
     "\"I think we should postpone the meeting.\""),
    ("writing", "Write a two-line poem about autumn.",
     "Amber leaves let go without a sound;\nthe year breathes out and settles on the ground.",
     "Autumn is a season of the year.\nLeaves fall down in autumn time."),
    ("writing", "When do I use \"affect\" and when \"effect\"?",
     "Usually \"affect\" is the verb (the rain affected our plans) and \"effect\" is the noun (the rain had an "
     "effect on our plans). Memory trick: Affect is the Action, Effect is the End result. The exception: \"to "
     "effect change\" means to bring change about.",
     "They mean the same thing, so use whichever you like."),
    ("writing", "Give me a subject line for an email asking my team to submit timesheets by Friday.",
     "HELLO TEAM!!! Important stuff inside, please read",
     "Reminder: timesheets due Friday at 5 pm"),
    ("writing", "My friend asked me to proofread her essay, but it needs a lot of work. How do I give feedback kindly?",
     "Start with what genuinely works, then pick the two or three changes that matter most instead of marking "
     "every error. Phrase them as suggestions (\"this point might land harder if…\"), and offer to look at the "
     "next draft.",
     "Be honest and tell her it's bad. She asked for it."),
    ("science", "Why is the sky blue?",
     "Sunlight is scattered by the molecules in the air, and shorter blue wavelengths scatter much more than "
     "red ones (Rayleigh scattering). So blue light reaches your eyes from every part of the sky. At sunset "
     "light crosses more air, the blue is scattered away, and reds and oranges remain.",
     "Because the sky reflects the colour of the oceans."),
    ("science", "Why do we have seasons?",
     "Because Earth is much closer to the Sun in summer than in winter.",
     "Earth's axis is tilted by about 23.5°. For part of the year your hemisphere leans towards the Sun, so "
     "sunlight hits it more directly and days are longer: summer. Half a year later it leans away: winter. "
     "Distance isn't the cause; Earth is actually closest to the Sun in early January."),
    ("science", "Does a heavier object fall faster than a lighter one?",
     "Yes. Something twice as heavy falls twice as fast.",
     "Without air resistance, no: all objects fall with the same acceleration, about 9.8 m/s² near Earth's "
     "surface. In real air a feather falls slowly because drag matters more for light, wide objects; a hammer "
     "and a feather dropped on the Moon land together."),
    ("science", "How do vaccines work?",
     "A vaccine shows your immune system a harmless version or piece of a germ, such as an inactivated virus or "
     "a protein from its surface. Your body makes antibodies and memory cells against it, so if you meet the "
     "real germ later it can respond much faster.",
     "They train your immune system."),
    ("science", "Name the three primary colours.",
     "For mixing paint, the traditional primaries are red, yellow and blue.",
     "For light on a screen the primaries are red, green and blue; for printing ink they are cyan, magenta and "
     "yellow."),
    ("personal finance", "Should I pay off my credit card or start investing?",
     "In most cases pay off the card first. Credit cards often charge 20% or more a year, which is more than "
     "investments reliably earn, so paying it down is a guaranteed return. Keep a small emergency fund, then "
     "invest once the balance is cleared.",
     "Invest everything. The stock market always goes up."),
    ("personal finance", "What is compound interest?",
     "Interest you pay twice on a loan.",
     "Interest earned on your interest. Put 1,000 at 5% a year: after one year you have 1,050, after two years "
     "1,102.50, because the second year's 5% is also paid on the first year's 50. Over decades this growth "
     "speeds up a lot."),
    ("personal finance", "How do I start investing with 100 dollars a month?",
     "Pick one hot stock you believe in and put everything into it.",
     "Open a low-cost brokerage or retirement account, set up an automatic monthly transfer, and buy a broad "
     "index fund that holds hundreds of companies. Keep fees low, don't check it every day, and plan to leave "
     "the money for at least five years."),
    ("personal finance", "Is it worth keeping a budget if I already save money?",
     "Yes, a simple one helps: it shows where money leaks out, makes saving for bigger goals easier, and "
     "tells you how much you can safely spend without guilt.",
     "Budgets are useful for most people because they show you where your money goes each month."),
    ("language", "How do you say \"thank you very much\" in Japanese?",
     "\"Dōmo arigatō gozaimasu\" (どうもありがとうございます). \"Arigatō\" on its own is casual, for friends.",
     "\"Sayonara.\""),
    ("geography", "What is the capital of Canada?",
     "Toronto, the largest city.",
     "Vancouver."),
    ("productivity", "I have too many tasks and feel overwhelmed. How do I prioritise?",
     "Write every task down first so it's out of your head. Mark what is both urgent and important and do that "
     "today; schedule important but not urgent work; delegate or drop the rest. Then choose just three tasks "
     "for tomorrow.",
     "Just work harder and you'll get through it."),
    ("pets", "Can I give my dog grapes as a treat?",
     "Sure, a few grapes are a healthy snack for dogs.",
     "No. Grapes and raisins can cause sudden kidney failure in dogs, even in small amounts. If your dog has "
     "eaten some, call a vet straight away. Safer treats are small pieces of carrot, seedless apple or "
     "blueberries."),
    ("home", "How often should I change my car's oil?",
     "Every 3,000 miles, no matter what car you have.",
     "Follow your owner's manual. Most modern cars using synthetic oil need it every 5,000 to 10,000 miles "
     "(about 8,000 to 16,000 km) or once a year, whichever comes first; older cars and lots of short trips or "
     "towing mean more often."),
)
# fmt: on
