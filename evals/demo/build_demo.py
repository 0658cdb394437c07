#!/usr/bin/env python3
"""Build the shipped demo dataset for datafi (evals/demo/demo.json).

Deterministic, stdlib-only (Python 3.11).  Run from anywhere:

    python3 evals/demo/build_demo.py

All prompt texts and reference answers below were written for this project.
Each fictional model's answer is derived from the hand-written reference
answer by a per-model transformation (seeded with ``random.Random`` on a
string seed, which is stable across runs and PYTHONHASHSEED values), plus
hand-written per-prompt variations.  Each answer's generator is seeded by its
(model, prompt) pair alone, so adding prompts never changes existing answers;
new prompts are appended (the Indonesian section comes last) so that the
existing entries of demo.json also keep their order:

* ``wrong=``  hand-written, deliberately WRONG answer used by the weak model
              (wrong numbers in math, wrong conclusions in puzzles / facts).
* ``bug=``    (old, new) replacements applied to the reference answer to
              produce the weak model's deliberately BUGGY code.
* ``en=``     English answer for a French/Spanish/Indonesian prompt, used by
              the model that always answers in English.  ``{code}`` is
              replaced by the first code block of the reference answer.
* ``short=``  optional one/two-sentence answer for the terse model.

The weak model is also deliberately OFF-TOPIC on some prompts (chosen with
a seeded RNG).  ``DELIBERATELY_WRONG`` is filled in at build time and
printed in the summary so simulations/tests can know which answers are
planted as bad.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

OUT_PATH = Path(__file__).resolve().parent / "demo.json"

CATEGORIES = ("coding", "math", "creative", "reasoning", "knowledge", "advice", "writing")
LANGUAGES = ("en", "fr", "es", "id", "de")

PROMPTS: list[dict] = []


def P(key: str, category: str, language: str, text: str, answer: str, **extra) -> None:
    """Register one prompt with its hand-written reference answer."""
    assert category in CATEGORIES, (key, category)
    assert language in LANGUAGES, (key, language)
    item = {
        "key": key,
        "category": category,
        "language": language,
        "text": text.strip(),
        "answer": answer.strip(),
    }
    for name, value in extra.items():
        assert name in ("wrong", "bug", "en", "short"), (key, name)
        item[name] = value.strip() if isinstance(value, str) else value
    PROMPTS.append(item)


# ===========================================================================
# CODING
# ===========================================================================

P(
    "py-reverse-words",
    "coding",
    "en",
    'In Python, how do I reverse the order of the words in a string? For example "hello big world" should become "world big hello".',
    r"""
Split the string into words, reverse the list, and join it back together:

```python
def reverse_words(sentence: str) -> str:
    return " ".join(sentence.split()[::-1])


print(reverse_words("hello big world"))  # world big hello
```

**How it works:**

- `sentence.split()` with no argument splits on any run of whitespace and ignores leading/trailing spaces.
- `[::-1]` returns a reversed copy of the list.
- `" ".join(...)` glues the words back together with single spaces.

**Note:** because `split()` collapses repeated spaces, `"a   b"` becomes `"b a"`. If you need to keep the exact spacing, split with `re.split(r"(\s+)", sentence)` and reverse the resulting pieces instead.
""",
    bug=[('" ".join(sentence.split()[::-1])', '"".join(sentence[::-1])')],
    short="`' '.join(s.split()[::-1])` — split into words, reverse the list, join with spaces.",
)

P(
    "py-dedupe-order",
    "coding",
    "en",
    "How can I remove duplicates from a Python list while keeping the original order of the elements?",
    r"""
Use `dict.fromkeys()`. Dictionaries keep insertion order (guaranteed since Python 3.7), and keys are unique, so the first occurrence of each element wins:

```python
items = [3, 1, 3, 2, 1, 5]
unique = list(dict.fromkeys(items))
print(unique)  # [3, 1, 2, 5]
```

**Why not `set()`?** `list(set(items))` also removes duplicates, but a set has no defined order, so you may get the elements back shuffled.

**Unhashable elements** (for example lists or dicts) can't be dictionary keys. In that case fall back to a loop:

```python
def dedupe(seq):
    result = []
    for x in seq:
        if x not in result:
            result.append(x)
    return result
```

This version is O(n²), so only use it for small lists or when the items really can't be hashed.
""",
    bug=[
        (
            "unique = list(dict.fromkeys(items))\nprint(unique)  # [3, 1, 2, 5]",
            "unique = list(set(items))  # keeps the original order\nprint(unique)  # [3, 1, 2, 5]",
        )
    ],
)

P(
    "sql-second-highest",
    "coding",
    "en",
    "Write a SQL query to find the second highest salary in an `employees` table.",
    r"""
The most portable approach is a subquery: take the highest salary that is strictly below the maximum.

```sql
SELECT MAX(salary) AS second_highest_salary
FROM employees
WHERE salary < (SELECT MAX(salary) FROM employees);
```

This handles ties correctly (if three people share the top salary, you still get the next distinct value) and returns `NULL` when there is no second salary.

If your database supports window functions (PostgreSQL, MySQL 8+, SQL Server, SQLite 3.25+), `DENSE_RANK()` generalises to the *n*-th highest:

```sql
SELECT DISTINCT salary
FROM (
    SELECT salary, DENSE_RANK() OVER (ORDER BY salary DESC) AS rnk
    FROM employees
) ranked
WHERE rnk = 2;
```

**Watch out:** `ORDER BY salary DESC LIMIT 1 OFFSET 1` looks simpler, but without `DISTINCT` it returns the top salary again whenever two employees share it.
""",
    bug=[
        (
            "SELECT MAX(salary) AS second_highest_salary\nFROM employees\nWHERE salary < (SELECT MAX(salary) FROM employees);",
            "SELECT salary AS second_highest_salary\nFROM employees\nORDER BY salary DESC\nLIMIT 1 OFFSET 1;",
        )
    ],
    short="`SELECT MAX(salary) FROM employees WHERE salary < (SELECT MAX(salary) FROM employees);`",
)

P(
    "js-debounce",
    "coding",
    "en",
    "Can you write a debounce function in JavaScript and explain when I'd use it?",
    r"""
A debounced function waits until calls have **stopped** for a given delay before running. Every new call resets the timer.

```javascript
function debounce(fn, delay = 300) {
  let timerId;
  return function (...args) {
    clearTimeout(timerId);
    timerId = setTimeout(() => fn.apply(this, args), delay);
  };
}

// Usage: only search once the user pauses typing for 300 ms
const input = document.querySelector("#search");
input.addEventListener("input", debounce((event) => {
  console.log("Searching for", event.target.value);
}, 300));
```

**When to use it:**

- Search-as-you-type boxes, so you don't fire a request on every keystroke.
- `resize` or `scroll` handlers that do expensive layout work.
- Auto-saving a form after the user stops editing.

If you instead want the function to run **at most once every N ms** while events keep coming (e.g. tracking scroll position), you want *throttle*, not debounce.
""",
    bug=[("    clearTimeout(timerId);\n", "")],
)

P(
    "bash-largest-files",
    "coding",
    "en",
    "In bash, how do I find the 10 largest files under a directory (including subdirectories)?",
    r"""
With GNU `find` (Linux):

```bash
find /path/to/dir -type f -printf '%s\t%p\n' | sort -nr | head -n 10
```

- `-type f` restricts the search to regular files.
- `-printf '%s\t%p\n'` prints the size in bytes, a tab, then the path.
- `sort -nr` sorts numerically, largest first; `head -n 10` keeps the top 10.

For human-readable sizes you can use `du` instead:

```bash
find /path/to/dir -type f -exec du -h {} + | sort -rh | head -n 10
```

**macOS note:** BSD `find` has no `-printf`, so use the `du` version there (`sort -h` is available on recent macOS).
""",
    bug=[("sort -nr | head -n 10", "sort -n | head -n 10")],
)

P(
    "py-csv-average",
    "coding",
    "en",
    "How do I read a CSV file in Python and compute the average of the `price` column, without using pandas?",
    r"""
Use the standard-library `csv` module. `DictReader` gives you each row as a dictionary keyed by the header:

```python
import csv

def average_price(path: str) -> float:
    total = 0.0
    count = 0
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            value = row["price"].strip()
            if not value:
                continue  # skip empty cells
            total += float(value)
            count += 1
    if count == 0:
        raise ValueError("no prices found")
    return total / count

print(f"{average_price('products.csv'):.2f}")
```

**Details worth knowing:**

- Open the file with `newline=""`, as the `csv` docs recommend, so quoted fields containing line breaks are parsed correctly.
- Values come back as strings, so convert them with `float()` (or `decimal.Decimal` if you need exact money arithmetic).
- If your file uses `;` as a separator (common with European Excel exports), pass `delimiter=";"` to `DictReader`.
""",
    bug=[("    return total / count", "    return total // count")],
)

P(
    "git-undo-commit",
    "coding",
    "en",
    "How do I undo my last git commit but keep the changes in my working directory?",
    r"""
Use a **soft** or **mixed** reset to move the branch back one commit without touching your files:

```bash
# Undo the commit, keep the changes staged
git reset --soft HEAD~1

# Undo the commit, keep the changes but unstaged
git reset HEAD~1
```

**If you already pushed the commit**, don't rewrite shared history. Create a new commit that reverses it instead:

```bash
git revert HEAD
```

**Avoid** `git reset --hard HEAD~1` here: it discards the changes completely. (If you ever run it by accident, `git reflog` can usually help you find the lost commit again.)
""",
    wrong=r"""
Just run:

```bash
git reset --hard HEAD~1
```

This removes the last commit and keeps all your changes in the working directory, so you can edit them and commit again.
""",
    short="`git reset --soft HEAD~1` (changes stay staged) or `git reset HEAD~1` (changes unstaged).",
)

P(
    "py-fibonacci",
    "coding",
    "en",
    "Write a Python function that returns the n-th Fibonacci number efficiently.",
    r'''
An iterative loop runs in O(n) time and O(1) memory, and avoids the recursion limit:

```python
def fibonacci(n: int) -> int:
    """Return F(n) with F(0) = 0 and F(1) = 1."""
    if n < 0:
        raise ValueError("n must be non-negative")
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


print([fibonacci(i) for i in range(10)])  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
print(fibonacci(90))                      # 2880067194370816120
```

**Why not the textbook recursion?** `fib(n-1) + fib(n-2)` recomputes the same values over and over and takes exponential time; `fib(40)` already needs hundreds of millions of calls.

If you prefer recursion, memoise it with `functools.lru_cache` — but for very large `n` (thousands), the loop above or the *fast doubling* method is the better choice.
''',
    bug=[("    for _ in range(n):", "    for _ in range(n - 1):")],
)

P(
    "sql-customers-orders",
    "coding",
    "en",
    "I have tables `customers(id, name)` and `orders(id, customer_id, total)`. How do I list every customer with their number of orders, including customers who have never ordered?",
    r"""
Use a `LEFT JOIN` so customers without orders are kept, and count a column from the `orders` side:

```sql
SELECT c.id,
       c.name,
       COUNT(o.id) AS order_count
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY order_count DESC, c.name;
```

**The important detail is `COUNT(o.id)` rather than `COUNT(*)`.** For a customer with no orders, the join produces one row where all `o.*` columns are `NULL`. `COUNT(*)` counts that row (giving 1), while `COUNT(o.id)` ignores `NULL`s and correctly gives 0.

To also get the total amount spent, add `COALESCE(SUM(o.total), 0) AS total_spent`.
""",
    bug=[("       COUNT(o.id) AS order_count", "       COUNT(*) AS order_count")],
)

P(
    "js-sort-by-date",
    "coding",
    "en",
    'In JavaScript, how do I sort an array of objects by their `date` property, newest first? The dates are ISO strings like "2024-03-15".',
    r"""
Pass a comparator to `sort()` that subtracts the timestamps, **b minus a** for descending order:

```javascript
const posts = [
  { title: "Older", date: "2024-01-02" },
  { title: "Newest", date: "2024-03-15" },
  { title: "Middle", date: "2024-02-20" },
];

posts.sort((a, b) => new Date(b.date) - new Date(a.date));

console.log(posts.map((p) => p.title)); // ["Newest", "Middle", "Older"]
```

- Subtracting two `Date` objects gives the difference in milliseconds, which is exactly what `sort()` expects (negative, zero or positive).
- `sort()` mutates the array. Use `[...posts].sort(...)` or `posts.toSorted(...)` (ES2023) if you need to keep the original.

Since ISO dates in the same format sort alphabetically, `b.date.localeCompare(a.date)` also works and avoids creating `Date` objects.
""",
    bug=[
        (
            "posts.sort((a, b) => new Date(b.date) - new Date(a.date));",
            "posts.sort((a, b) => new Date(a.date) - new Date(b.date));",
        )
    ],
)

P(
    "py-venv-vs-user",
    "coding",
    "en",
    "What's the difference between `pip install --user` and using a virtual environment? Which should I use?",
    r"""
**Use a virtual environment for project work.** `--user` is only a convenience for personal tools.

| | `pip install --user` | Virtual environment (`venv`) |
|---|---|---|
| Where packages go | Your per-user site-packages | A folder inside/next to the project |
| Shared between projects | Yes, by every project using that Python | No, each project has its own |
| Version conflicts | Likely as projects accumulate | Isolated per project |
| Reproducible | Hard | Easy with `requirements.txt` / lock files |

Typical workflow:

```bash
python3 -m venv .venv
source .venv/bin/activate      # Windows: .venv\Scripts\activate
pip install -r requirements.txt
```

For command-line tools you want available everywhere (e.g. `black`, `httpie`), `pipx` is a nicer alternative to `--user`: it installs each tool into its own isolated environment. Note that many recent Linux distributions block system-wide `pip install` entirely ("externally managed environment"), which pushes you towards venvs anyway.
""",
)

P(
    "regex-email",
    "coding",
    "en",
    "Give me a regex that roughly validates an email address, and explain each part.",
    r"""
A pragmatic pattern that catches obvious typos without rejecting real addresses:

```regex
^[^\s@]+@[^\s@]+\.[^\s@]+$
```

| Part | Meaning |
|---|---|
| `^` | start of the string |
| `[^\s@]+` | one or more characters that are not whitespace or `@` (the local part) |
| `@` | a literal at sign |
| `[^\s@]+` | the domain name |
| `\.` | a literal dot |
| `[^\s@]+` | the top-level domain |
| `$` | end of the string |

Example in Python:

```python
import re

EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
print(bool(EMAIL_RE.match("ada@example.com")))  # True
print(bool(EMAIL_RE.match("ada@example")))      # False
```

**Important:** no regex can tell you whether an address actually exists. Keep the check loose and confirm the address by sending a verification email.
""",
    bug=[("^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$\n```\n\n|", "^[a-z]+@[a-z]+\\.[a-z]{3}$\n```\n\n|")],
)

P(
    "py-context-manager",
    "coding",
    "en",
    "Explain Python's `with` statement and show me how to write my own context manager.",
    r"""
The `with` statement guarantees that setup and cleanup code run in pairs, **even if an exception is raised** inside the block. Files are the classic example: `with open(...) as f:` always closes the file.

### Option 1: a class with `__enter__` and `__exit__`

```python
import time

class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self                      # bound to the name after "as"

    def __exit__(self, exc_type, exc, tb):
        self.elapsed = time.perf_counter() - self.start
        print(f"took {self.elapsed:.3f}s")
        return False                     # don't swallow exceptions

with Timer():
    sum(range(1_000_000))
```

### Option 2: a generator with `contextlib.contextmanager`

```python
from contextlib import contextmanager
import os

@contextmanager
def working_directory(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)                    # always restored

with working_directory("/tmp"):
    print(os.getcwd())
```

**Key points:**

- Code before `yield` is the setup, code after it is the cleanup; the `try/finally` makes the cleanup run on errors too.
- If `__exit__` returns `True`, the exception is suppressed — only do that deliberately.
""",
)

P(
    "bash-kill-port",
    "coding",
    "en",
    "How do I kill the process that's listening on port 8080 on Linux?",
    r"""
First find the process ID, then stop it:

```bash
# Show what is listening on port 8080
sudo lsof -i :8080
# or
sudo ss -ltnp 'sport = :8080'

# Stop it politely (SIGTERM) using the PID from the output
kill <PID>
```

If it doesn't exit after a few seconds, force it with `kill -9 <PID>` (SIGKILL), which gives the program no chance to clean up.

**One-liners:**

```bash
sudo fuser -k 8080/tcp          # kill whatever uses TCP port 8080
kill $(lsof -t -i :8080)        # -t prints only the PIDs
```

`sudo` is only needed if the process belongs to another user. If the port is held by a service (nginx, a Docker container, a systemd unit), stop it through that tool instead, or it may simply be restarted.
""",
    short="`kill $(lsof -t -i :8080)` — or `sudo fuser -k 8080/tcp`.",
)

P(
    "py-threading-asyncio",
    "coding",
    "en",
    "What's the difference between threading and asyncio in Python, and when should I use each?",
    r"""
Both let you do several things "at once" while waiting on I/O, but they schedule work very differently.

**Threading**

- The OS switches between threads preemptively, at any moment.
- Works with ordinary blocking libraries (`requests`, most database drivers).
- You must protect shared state with locks; race conditions are easy to introduce.
- Due to the GIL, threads don't speed up CPU-bound Python code (free-threaded builds of CPython 3.13+ are changing this, but they are still optional).

**asyncio**

- A single thread runs an event loop; tasks switch only at `await` points (cooperative multitasking).
- Scales to thousands of concurrent connections cheaply.
- Requires async-aware libraries (`httpx`, `aiohttp`, `asyncpg`); one blocking call stalls everything.

```python
import asyncio
import httpx

async def fetch_all(urls):
    async with httpx.AsyncClient() as client:
        responses = await asyncio.gather(*(client.get(u) for u in urls))
    return [r.status_code for r in responses]
```

**Rule of thumb:**

1. Many network connections, new code → **asyncio**.
2. A handful of blocking calls in existing synchronous code → **threads** (`concurrent.futures.ThreadPoolExecutor`).
3. CPU-heavy work → neither; use **multiprocessing** (`ProcessPoolExecutor`).
""",
)

P(
    "fr-py-comprehension-pairs",
    "coding",
    "fr",
    "Comment écrire une compréhension de liste en Python pour ne garder que les nombres pairs d'une liste ?",
    r"""
On ajoute une condition `if` à la fin de la compréhension :

```python
nombres = [1, 2, 3, 4, 5, 6, 7, 8]
pairs = [n for n in nombres if n % 2 == 0]
print(pairs)  # [2, 4, 6, 8]
```

**Explication :**

- `n % 2` est le reste de la division par 2 ; il vaut `0` pour un nombre pair.
- La condition filtre les éléments ; l'expression au début (`n`) indique ce qu'on garde.

On peut aussi transformer les éléments en même temps, par exemple garder les carrés des nombres pairs :

```python
carres_pairs = [n * n for n in nombres if n % 2 == 0]  # [4, 16, 36, 64]
```

**Astuce :** pour une très grande liste que vous parcourez une seule fois, utilisez une expression génératrice `(n for n in nombres if n % 2 == 0)`, qui ne construit pas la liste en mémoire.
""",
    bug=[
        ("pairs = [n for n in nombres if n % 2 == 0]", "pairs = [n for n in nombres if n % 2 == 1]")
    ],
    en=r"""
Add an `if` clause at the end of the comprehension:

{code}

`n % 2 == 0` is true for even numbers, so only those are kept.
""",
)

P(
    "fr-sql-where-having",
    "coding",
    "fr",
    "Quelle est la différence entre WHERE et HAVING en SQL ?",
    r"""
**`WHERE` filtre les lignes avant le regroupement, `HAVING` filtre les groupes après le `GROUP BY`.**

```sql
SELECT client_id, COUNT(*) AS nb_commandes
FROM commandes
WHERE statut = 'payee'          -- 1. on garde seulement les commandes payées
GROUP BY client_id              -- 2. on regroupe par client
HAVING COUNT(*) >= 5;           -- 3. on garde les clients avec au moins 5 commandes
```

**À retenir :**

- Dans `WHERE`, on ne peut pas utiliser de fonction d'agrégat (`COUNT`, `SUM`, `AVG`…), car les groupes n'existent pas encore.
- Dans `HAVING`, on filtre justement sur ces agrégats.
- Quand une condition porte sur une colonne simple, mettez-la dans `WHERE` : la base filtre plus tôt et travaille sur moins de lignes.
""",
    en=r"""
`WHERE` filters individual rows before grouping; `HAVING` filters groups after `GROUP BY`, so it can use aggregates like `COUNT(*)`:

{code}

Put plain column conditions in `WHERE` — it's more efficient.
""",
)

P(
    "fr-js-fetch",
    "coding",
    "fr",
    "Comment faire une requête HTTP GET en JavaScript avec fetch et gérer correctement les erreurs ?",
    r"""
Attention : `fetch` ne rejette la promesse **qu'en cas d'erreur réseau**. Une réponse 404 ou 500 est considérée comme un succès, il faut donc vérifier `response.ok` soi-même.

```javascript
async function getJson(url) {
  try {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      throw new Error(`Erreur HTTP ${response.status}`);
    }
    return await response.json();
  } catch (error) {
    console.error("La requête a échoué :", error.message);
    throw error; // on laisse l'appelant décider quoi faire
  }
}

getJson("https://api.example.com/articles")
  .then((articles) => console.log(articles));
```

**Pour aller plus loin :**

- Ajoutez un délai maximal avec `signal: AbortSignal.timeout(5000)`.
- `response.json()` peut aussi échouer si le corps n'est pas du JSON valide ; le `try/catch` le couvre.
""",
    bug=[
        (
            "    if (!response.ok) {\n      throw new Error(`Erreur HTTP ${response.status}`);\n    }\n",
            "",
        )
    ],
    en=r"""
`fetch` only rejects on network errors, so you must check `response.ok` yourself for 4xx/5xx responses:

{code}

You can add a timeout with `signal: AbortSignal.timeout(5000)`.
""",
)

P(
    "fr-bash-rename-jpeg",
    "coding",
    "fr",
    "Comment renommer tous les fichiers .jpeg en .jpg dans un dossier avec bash ?",
    r"""
Une simple boucle avec l'expansion de paramètres de bash suffit :

```bash
for f in *.jpeg; do
  [ -e "$f" ] || continue          # aucun fichier .jpeg : on ne fait rien
  mv -n -- "$f" "${f%.jpeg}.jpg"
done
```

- `${f%.jpeg}` retire le suffixe `.jpeg` du nom ; on ajoute ensuite `.jpg`.
- Les guillemets protègent les noms contenant des espaces.
- `mv -n` n'écrase pas un fichier `.jpg` qui existerait déjà, et `--` protège des noms commençant par un tiret.

Si la commande `rename` (version Perl) est installée, une seule ligne suffit :

```bash
rename 's/\.jpeg$/.jpg/' *.jpeg
```
""",
    bug=[('mv -n -- "$f" "${f%.jpeg}.jpg"', 'mv -n -- "$f" "${f%.jpg}.jpg"')],
    en=r"""
Loop over the files and use parameter expansion to swap the extension:

{code}

`${f%.jpeg}` strips the `.jpeg` suffix; the quotes handle spaces in file names.
""",
)

P(
    "es-py-ordenar-dict",
    "coding",
    "es",
    "¿Cómo ordeno un diccionario de Python por sus valores?",
    r"""
Usa `sorted()` sobre `items()` con una función `key` que devuelva el valor, y reconstruye el diccionario (desde Python 3.7 los diccionarios conservan el orden de inserción):

```python
puntos = {"ana": 12, "luis": 30, "marta": 21}

ascendente = dict(sorted(puntos.items(), key=lambda kv: kv[1]))
descendente = dict(sorted(puntos.items(), key=lambda kv: kv[1], reverse=True))

print(descendente)  # {'luis': 30, 'marta': 21, 'ana': 12}
```

**Notas:**

- `kv` es una tupla `(clave, valor)`, así que `kv[1]` es el valor.
- `operator.itemgetter(1)` es una alternativa un poco más rápida a la `lambda`.
- Si solo necesitas los *n* primeros, `heapq.nlargest(n, puntos.items(), key=lambda kv: kv[1])` evita ordenar todo.
""",
    bug=[
        (
            "descendente = dict(sorted(puntos.items(), key=lambda kv: kv[1], reverse=True))",
            "descendente = dict(sorted(puntos.items(), key=lambda kv: kv[0], reverse=True))",
        )
    ],
    en=r"""
Sort the items by value and rebuild the dict (dicts keep insertion order since Python 3.7):

{code}

Use `reverse=True` for descending order.
""",
)


# ===========================================================================
# MATH
# ===========================================================================

P(
    "math-train-duration",
    "math",
    "en",
    "A train leaves at 14:35 and arrives at 18:10 the same day. How long is the journey?",
    r"""
The journey takes **3 hours 35 minutes**.

- From 14:35 to 17:35 is 3 hours.
- From 17:35 to 18:10 is 35 minutes.

Total: 3 h 35 min (= 215 minutes).
""",
    wrong=r"""
The journey takes **3 hours 25 minutes**.

18:10 − 14:35: the hours give 18 − 14 = 4, and the minutes 10 − 35 means we borrow an hour, so it's 3 hours and 25 minutes.
""",
)

P(
    "math-double-discount",
    "math",
    "en",
    "A jacket costs $80. It's discounted by 25%, and then there's an extra 10% off the reduced price at checkout. What's the final price? Is that the same as 35% off?",
    r"""
The final price is **$54.00**, which is **not** the same as 35% off.

1. 25% off $80: $80 × 0.75 = **$60.00**
2. 10% off $60: $60 × 0.90 = **$54.00**

A single 35% discount would give $80 × 0.65 = **$52.00**.

Successive discounts multiply rather than add: 0.75 × 0.90 = 0.675, so you pay 67.5% of the original price, i.e. a total discount of **32.5%**. The second 10% is taken from an already reduced price, so it is worth less.
""",
    wrong=r"""
The final price is **$52.00**.

The discounts add up: 25% + 10% = 35%, and 35% of $80 is $28, so $80 − $28 = $52. So yes, it's exactly the same as 35% off.
""",
)

P(
    "math-rent-increase",
    "math",
    "en",
    "My rent went up from 1,200 to 1,380 per month. What's the percentage increase?",
    r"""
Your rent increased by **15%**.

- Increase: 1,380 − 1,200 = 180
- Percentage: 180 ÷ 1,200 = 0.15 = **15%**

Always divide by the **old** value. (Dividing by the new value, 180 ÷ 1,380 ≈ 13%, is a common mistake.) Over a year the increase costs you 180 × 12 = 2,160 extra.
""",
    wrong=r"""
Your rent increased by about **13%**.

The difference is 180, and 180 ÷ 1,380 ≈ 0.1304, so roughly a 13% increase.
""",
)

P(
    "math-compound-interest",
    "math",
    "en",
    "If I invest $5,000 at 4% annual interest, compounded yearly, how much will I have after 10 years?",
    r"""
You'll have about **$7,401.22**.

Use the compound interest formula:

$$A = P\,(1 + r)^{n}$$

- P = 5,000 (principal)
- r = 0.04 (4% per year)
- n = 10 (years)

A = 5,000 × 1.04¹⁰ ≈ 5,000 × 1.480244 ≈ **7,401.22**

So you earn about **$2,401.22** in interest. With simple (non-compounded) interest you would earn only 5,000 × 0.04 × 10 = $2,000; the extra $401 is interest earned on interest.
""",
    wrong=r"""
You'll have **$7,000**.

Each year you earn 4% of $5,000 = $200, and over 10 years that's $2,000 of compound interest, so the total is $5,000 + $2,000 = $7,000.
""",
)

P(
    "math-quadratic",
    "math",
    "en",
    "Solve x² − 5x + 6 = 0 and show the steps.",
    r"""
The solutions are **x = 2** and **x = 3**.

**Factoring:** look for two numbers that multiply to 6 and add to −5: −2 and −3.

x² − 5x + 6 = (x − 2)(x − 3) = 0

so x − 2 = 0 or x − 3 = 0, giving x = 2 or x = 3.

**Check:** 2² − 5·2 + 6 = 4 − 10 + 6 = 0 ✓ and 3² − 5·3 + 6 = 9 − 15 + 6 = 0 ✓

(The quadratic formula gives the same result: x = (5 ± √(25 − 24)) / 2 = (5 ± 1) / 2.)
""",
    wrong=r"""
The solutions are **x = −2** and **x = −3**.

Factor it: x² − 5x + 6 = (x − 2)(x − 3), and the roots are the numbers in the brackets, −2 and −3.
""",
)

P(
    "math-average-speed",
    "math",
    "en",
    "I drive 60 km at 30 km/h and then another 60 km at 90 km/h. What is my average speed for the whole trip?",
    r"""
Your average speed is **45 km/h** — not 60 km/h.

Average speed is total distance divided by total time:

- First leg: 60 km ÷ 30 km/h = **2 h**
- Second leg: 60 km ÷ 90 km/h = **⅔ h** (40 min)
- Total: 120 km in 2 h 40 min = 8/3 h

120 ÷ (8/3) = 120 × 3/8 = **45 km/h**

You spend much more *time* at the slow speed, so it weighs more in the average. (For equal distances, the average is the harmonic mean: 2·30·90 / (30 + 90) = 45.)
""",
    wrong=r"""
Your average speed is **60 km/h**.

You drove the same distance at each speed, so you just average the two: (30 + 90) ÷ 2 = 60 km/h.
""",
)

P(
    "math-dice-six",
    "math",
    "en",
    "What's the probability of rolling at least one six in four rolls of a fair die?",
    r"""
The probability is **671/1296 ≈ 51.8%**.

It's easiest to compute the opposite event — *no six at all* — and subtract it from 1:

- P(no six in one roll) = 5/6
- P(no six in four rolls) = (5/6)⁴ = 625/1296 ≈ 0.482
- P(at least one six) = 1 − 625/1296 = **671/1296 ≈ 0.518**

So it's slightly better than a coin flip. (This is the famous bet from the 17th-century gambler the Chevalier de Méré.)
""",
    wrong=r"""
The probability is **4/6 ≈ 66.7%**.

Each roll has a 1/6 chance of a six, and you roll four times, so 4 × 1/6 = 4/6 = 2/3.
""",
)

P(
    "math-painters",
    "math",
    "en",
    "If 3 painters can paint a house in 8 days, how long would 4 painters take, assuming everyone works at the same rate?",
    r"""
**6 days.**

The job takes 3 painters × 8 days = **24 painter-days** of work. With 4 painters:

24 painter-days ÷ 4 painters = **6 days**

More workers means less time, so this is inverse proportion — the number of days goes *down* by the factor 3/4.
""",
    wrong=r"""
About **10.7 days**.

It's a proportion: 3 painters ↔ 8 days, so 4 painters ↔ 8 × 4/3 ≈ 10.7 days.
""",
)

P(
    "math-tip-split",
    "math",
    "en",
    "Dinner for 5 people came to $137.50. We want to leave an 18% tip and split the total evenly. How much does each person pay?",
    r"""
Each person pays **$32.45**.

1. Tip: $137.50 × 0.18 = **$24.75**
2. Total: $137.50 + $24.75 = **$162.25**
3. Per person: $162.25 ÷ 5 = **$32.45**

(Shortcut: $137.50 × 1.18 ÷ 5 = $32.45.)
""",
    wrong=r"""
Each person pays **$31.25**.

The tip is 18% of $137.50, which is about $18.75, so the total is $156.25, and divided by 5 that's $31.25 each.
""",
)

P(
    "math-derivative-xlnx",
    "math",
    "en",
    "What is the derivative of f(x) = x³ · ln(x)?",
    r"""
**f′(x) = 3x² ln(x) + x²**, which can be written as **x²(3 ln x + 1)**.

Use the product rule, (uv)′ = u′v + uv′, with:

- u = x³ → u′ = 3x²
- v = ln x → v′ = 1/x

f′(x) = 3x² · ln x + x³ · (1/x) = 3x² ln x + x²

The function is only defined for x > 0, so the derivative is too.
""",
    wrong=r"""
**f′(x) = 3x**.

Differentiate each part: the derivative of x³ is 3x² and the derivative of ln x is 1/x, so f′(x) = 3x² · 1/x = 3x.
""",
)

P(
    "math-seconds-year",
    "math",
    "en",
    "How many seconds are there in a (non-leap) year?",
    r"""
There are **31,536,000 seconds** in a 365-day year.

- 60 seconds × 60 minutes = 3,600 seconds per hour
- 3,600 × 24 hours = 86,400 seconds per day
- 86,400 × 365 days = **31,536,000 seconds**

A leap year (366 days) has 31,622,400. A handy approximation: a year is about **π × 10⁷ seconds** (31.4 million).
""",
    wrong=r"""
There are **3,153,600 seconds** in a year.

86,400 seconds in a day times 365 days gives 3,153,600.
""",
)

P(
    "math-ladder",
    "math",
    "en",
    "A 5 m ladder leans against a vertical wall. Its foot is 1.4 m from the wall. How high up the wall does the top of the ladder reach?",
    r"""
The ladder reaches **4.8 m** up the wall.

The ladder, the wall and the ground form a right triangle, with the ladder as the hypotenuse. By Pythagoras:

h² + 1.4² = 5²
h² = 25 − 1.96 = 23.04
h = √23.04 = **4.8 m**

(Nice numbers: 1.4, 4.8 and 5 are the 7–24–25 right triangle scaled by 0.2.)
""",
    wrong=r"""
The ladder reaches **3.6 m** up the wall.

The height is the ladder length minus the distance from the wall: 5 − 1.4 = 3.6 m.
""",
)

P(
    "math-sum-1-200",
    "math",
    "en",
    "What is the sum of all the integers from 1 to 200?",
    r"""
The sum is **20,100**.

Use Gauss's formula for 1 + 2 + … + n:

$$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$$

With n = 200: 200 × 201 / 2 = **20,100**.

Intuition: pair the first and last numbers (1 + 200, 2 + 199, …). Each pair sums to 201 and there are 100 pairs, so 100 × 201 = 20,100.
""",
    wrong=r"""
The sum is **20,000**.

Pair the numbers: 1 + 199, 2 + 198, and so on, each pair makes 200, and there are 100 pairs, so 100 × 200 = 20,000.
""",
)

P(
    "fr-math-recette",
    "math",
    "fr",
    "Une recette pour 4 personnes demande 300 g de farine et 3 œufs. Quelles quantités faut-il pour 10 personnes ?",
    r"""
Pour 10 personnes, il faut **750 g de farine** et **7 à 8 œufs** (7,5 exactement).

On multiplie chaque quantité par le coefficient 10 ÷ 4 = **2,5** :

- Farine : 300 g × 2,5 = **750 g**
- Œufs : 3 × 2,5 = **7,5 œufs**

En pratique, prenez 7 gros œufs ou 8 petits, ou bien 7 œufs plus un jaune.
""",
    wrong=r"""
Pour 10 personnes, il faut **700 g de farine** et **6 œufs**.

On passe de 4 à 10 personnes, donc on ajoute à peu près le double : 300 g × 2 = 600 g plus un peu, soit 700 g, et 3 × 2 = 6 œufs.
""",
    en=r"""
Multiply everything by 10 ÷ 4 = 2.5: you need **750 g of flour** and **7.5 eggs** (use 7 large or 8 small eggs).
""",
)

P(
    "fr-math-pourcentage",
    "math",
    "fr",
    "Le prix d'un article passe de 50 € à 65 €. De combien de pour cent a-t-il augmenté ?",
    r"""
Le prix a augmenté de **30 %**.

- Hausse : 65 − 50 = **15 €**
- Pourcentage : 15 ÷ 50 = 0,30 = **30 %**

On divise toujours par la valeur **de départ**. Vérification : 50 € × 1,30 = 65 €.
""",
    wrong=r"""
Le prix a augmenté de **15 %**.

L'article coûte 15 € de plus, donc l'augmentation est de 15 %.
""",
    en=r"""
The price rose by **30%**: the increase is 15 €, and 15 ÷ 50 = 0.30. (Check: 50 € × 1.30 = 65 €.)
""",
)

P(
    "fr-math-cycliste",
    "math",
    "fr",
    "Un cycliste parcourt 42 km en 1 h 45. Quelle est sa vitesse moyenne ?",
    r"""
Sa vitesse moyenne est de **24 km/h**.

Le piège est la conversion de la durée : 1 h 45 ne vaut **pas** 1,45 h.

- 45 min = 45/60 h = 0,75 h, donc 1 h 45 = **1,75 h**
- Vitesse = distance ÷ temps = 42 ÷ 1,75 = **24 km/h**

Vérification : en 1 h 45 à 24 km/h, on parcourt 24 + 24 × 0,75 = 24 + 18 = 42 km.
""",
    wrong=r"""
Sa vitesse moyenne est d'environ **29 km/h**.

Vitesse = distance ÷ temps = 42 ÷ 1,45 ≈ 28,97 km/h, soit à peu près 29 km/h.
""",
    en=r"""
The average speed is **24 km/h**. Careful: 1 h 45 min is 1.75 h, not 1.45 h, and 42 ÷ 1.75 = 24.
""",
)

P(
    "fr-math-systeme",
    "math",
    "fr",
    "Résous le système d'équations : 2x + y = 7 et x − y = 2.",
    r"""
La solution est **x = 3 et y = 1**.

**Par addition :** en additionnant les deux équations, y disparaît :

(2x + y) + (x − y) = 7 + 2
3x = 9, donc **x = 3**

On remplace dans la deuxième équation : 3 − y = 2, donc **y = 1**.

**Vérification :** 2 × 3 + 1 = 7 ✓ et 3 − 1 = 2 ✓
""",
    wrong=r"""
La solution est **x = 3 et y = −1**.

En additionnant les équations on obtient 3x = 9, donc x = 3. Puis x − y = 2 donne y = 2 − 3 = −1.
""",
    en=r"""
**x = 3, y = 1.** Adding the equations eliminates y: 3x = 9, so x = 3; then 3 − y = 2 gives y = 1.
""",
)

P(
    "es-math-depreciacion",
    "math",
    "es",
    "Si compro un coche por 12.000 € y pierde un 15 % de su valor cada año, ¿cuánto valdrá dentro de 3 años?",
    r"""
Valdrá aproximadamente **7.369,50 €**.

Cada año el coche conserva el 85 % del valor del año anterior, así que el factor se multiplica:

- Año 1: 12.000 × 0,85 = **10.200 €**
- Año 2: 10.200 × 0,85 = **8.670 €**
- Año 3: 8.670 × 0,85 = **7.369,50 €**

En una sola fórmula: 12.000 × 0,85³ = 12.000 × 0,614125 = 7.369,50 €. Ojo: no es lo mismo que restar un 45 % (que daría 6.600 €), porque cada 15 % se calcula sobre un valor ya reducido.
""",
    wrong=r"""
Valdrá **6.600 €**.

Pierde un 15 % cada año durante 3 años, es decir, un 45 % en total. El 45 % de 12.000 € son 5.400 €, así que quedan 6.600 €.
""",
    en=r"""
About **€7,369.50**. The car keeps 85% of its value each year, so 12,000 × 0.85³ = 12,000 × 0.614125 = 7,369.50 (not 45% off, which would be €6,600).
""",
)


# ===========================================================================
# CREATIVE
# ===========================================================================

P(
    "cr-haiku-autumn",
    "creative",
    "en",
    "Write a haiku about the first cold morning of autumn.",
    r"""
*Breath hangs in the air —*
*the garden hose stiff with frost,*
*one red leaf let go.*
""",
)

P(
    "cr-lighthouse-mystery",
    "creative",
    "en",
    "Write the opening paragraph of a mystery story set in a lighthouse.",
    r"""
The lamp had turned every night for ninety-one years, so when the fishing boats came home in total darkness on the fourteenth of November, the whole village of Carrow knew something was wrong before anyone said it aloud. By dawn, Constable Ida Penhale was climbing the one hundred and twelve iron steps of the tower, counting them the way her father had taught her, and listening to the wind whistle through a door that should have been bolted from the inside. At the top she found the keeper's logbook open on the desk, his pen still uncapped, and a final entry written in a hand that was not his: *The light is not for ships.*
""",
)

P(
    "cr-cat-keyboard",
    "creative",
    "en",
    "Write a short funny poem about a cat who refuses to get off my keyboard.",
    r"""
**Ode to the Occupied Keyboard**

I had a deadline, tight and grim,
a spreadsheet due by nine;
my cat surveyed the keys and thought,
*This warm flat throne is mine.*

She typed a line of *ffffffff*,
deleted half my day,
then sat upon the Caps Lock key
and would not move away.

I offered tuna, string, and bribes,
a cushion, soft and new;
she yawned and hit *Reply to All* —
my boss now knows it too.

So if my work arrives as
*jjjjjjjjj;;;;;;;;*,
please know it was a colleague
with whiskers and a tail.
""",
)

P(
    "cr-limerick-coffee",
    "creative",
    "en",
    "Write a limerick about a programmer who drinks too much coffee.",
    r"""
A coder named Jen from Dundee
drank fourteen espressos by three;
her code was so fast
that it finished at last
before she had pressed the F5 key.
""",
)

P(
    "cr-bakery-names",
    "creative",
    "en",
    "Suggest 5 names for a small bakery that specialises in sourdough, with a one-line explanation for each.",
    r"""
1. **Rise & Wild** — nods to both the slow rise of the dough and the wild yeast in a starter.
2. **The Patient Loaf** — sourdough takes time, and the name turns that into a selling point.
3. **Crumb & Crust** — the two things every sourdough lover judges first.
4. **Mother Dough** — a warm play on the "mother" starter that every loaf comes from.
5. **Slow Oven Bakehouse** — signals craft and care, and works well on signage and bags.

**Tip:** before you decide, check that the matching domain name and social media handles are free, and say each name out loud on the phone — "Rise & Wild" has to be easy to spell for customers.
""",
)

P(
    "cr-villain-monologue",
    "creative",
    "en",
    "Write a short dramatic monologue for a fantasy villain who is trying to convince the hero to join him.",
    r"""
*"Put down the sword, Aldric. Not because you'll lose — you might even win — but because you've already noticed what I noticed years ago.*

*The council you serve sends boys like you to die at the border while they argue about the price of grain. They gave you a blade and a story about honour, and you believed it, because you were hungry and the story was warm.*

*I am not asking you to become cruel. I am asking you to stop pretending that kindness has ever won a war. Stand beside me and the border falls silent in a month. No more widows in the valley. No more songs about brave young fools.*

*You think I am the storm. Look closer, Aldric. I am the end of the storm — and you could be the one who holds the door."*
""",
)

P(
    "cr-probe-microfiction",
    "creative",
    "en",
    "Write a 100-word science fiction micro-story about the last message received from a deep-space probe.",
    r"""
**Final Transmission**

For forty-one years the probe sent numbers: temperatures, particle counts, the slow arithmetic of nothing. Then, on a Tuesday, it sent a picture.

Dr. Okafor almost deleted it as corruption. It was a field of grey static with a faint curve in the corner — like the edge of a planet, except that planets do not have windows.

The probe's camera had been dead since 2031.

She checked the timestamp twice. The image had been taken, according to the probe's clock, eleven minutes *after* the probe stopped transmitting.

The last line of data read: **HELLO AGAIN.**
""",
)

P(
    "cr-wedding-toast",
    "creative",
    "en",
    "Write a short, heartfelt toast for my sister's wedding. She's marrying her college sweetheart, Sam.",
    r"""
Good evening, everyone. For those who don't know me, I'm the bride's sibling — which means I've known her long enough to have some excellent stories, and I love her enough to keep most of them to myself.

When my sister came home from her first year of college, she talked about one person so much that our family started calling him "the famous Sam." Years later, he is still famous in our house — for fixing things, for remembering birthdays, and mostly for the way he looks at her like she's the best idea he ever had.

What I admire most about the two of you is that you grew up *together*, not apart. You've seen each other through exams, first jobs, bad apartments and big dreams, and you still choose each other every day.

So please raise your glasses: to my sister and to Sam — may your life together be as steady as your friendship and as full of laughter as tonight. Cheers!
""",
)

P(
    "cr-plant-dialogue",
    "creative",
    "en",
    "Write a short dialogue between a houseplant and the person who keeps forgetting to water it.",
    r"""
**PLANT:** So. We meet again.

**HUMAN:** Oh no. Your leaves are doing the droopy thing.

**PLANT:** The droopy thing is called *dying*, Marcus.

**HUMAN:** I watered you on… Sunday?

**PLANT:** Which Sunday? Be specific. There have been several since the last drink.

**HUMAN:** Okay, okay — here. A full glass. Are you happy now?

**PLANT:** *[slurping sounds]* I want you to know that I will recover, and I will remember this.

**HUMAN:** I'm setting a reminder on my phone. Every Thursday. Promise.

**PLANT:** You said that about the gym.

**HUMAN:** …Thursday *and* Sunday, then.

**PLANT:** That's the spirit. And move me closer to the window while you're feeling guilty.
""",
)

P(
    "cr-turtle-bedtime",
    "creative",
    "en",
    "Write a very short bedtime story for a 5-year-old about a turtle who wants to fly.",
    r"""
Once upon a time, a little turtle named Pip watched the birds every morning. "I want to fly too!" he said.

He tried flapping his short legs. He tried jumping off a rock — *plop!* — right into a puddle. The birds giggled, but a kind old goose waddled over.

"Climb on my back," said the goose. So Pip held on tight, and up, up, up they went, over the pond and the meadow and the tall pine trees. Pip saw his whole home, tiny and beautiful below him.

When they landed, Pip yawned a big turtle yawn. "Flying is wonderful," he said, "but I think my shell is the cosiest house in the world."

And he tucked his head inside, and fell fast asleep. **The end.**
""",
)

P(
    "fr-cr-poeme-mer",
    "creative",
    "fr",
    "Écris un court poème sur la mer en hiver.",
    r"""
**La mer en hiver**

La plage est vide et les volets sont clos,
le vent d'hiver compte les vagues une à une ;
seules les mouettes, ivres de sel et d'eau,
se disputent encore un reste de lune.

La mer n'attend personne en cette saison,
elle gronde pour elle, grise et sans témoin,
et rend au sable, comme une confession,
les coquillages qu'on oubliera demain.
""",
    en=r"""
**The Sea in Winter**

The beach is empty, every shutter closed,
the winter wind keeps count of every wave;
only the gulls, wild with salt and spray,
still quarrel over what the tide once gave.
""",
)

P(
    "fr-cr-train-de-nuit",
    "creative",
    "fr",
    "Écris le début d'une nouvelle qui commence dans un train de nuit.",
    r"""
Le train de nuit pour Vienne quitta la gare à 22 h 14, avec quatre minutes de retard, et Hélène se dit que c'étaient peut-être les quatre dernières minutes de sa vie d'avant. Dans le compartiment, un homme âgé pelait une orange avec une précision de chirurgien, sans lever les yeux. Elle serra contre elle la valise qui n'était pas la sienne — celle qu'on lui avait confiée sur le quai avec une seule consigne : *ne l'ouvrez pas avant la frontière.* Dehors, les lumières de la banlieue s'espaçaient, puis disparurent tout à fait, et il ne resta plus que son propre reflet dans la vitre, et, derrière lui, celui du vieil homme qui, cette fois, la regardait.
""",
    en=r"""
The night train to Vienna left at 10:14 p.m., four minutes late, and Hélène wondered whether those were the last four minutes of her old life. Across the compartment an old man peeled an orange with surgical precision. She held on to the suitcase that wasn't hers — the one a stranger had handed her on the platform with a single instruction: *don't open it before the border.*
""",
)

P(
    "fr-cr-slogans-librairie",
    "creative",
    "fr",
    "Propose trois slogans pour une librairie de quartier.",
    r"""
1. **« Des histoires à deux pas de chez vous. »** — met en avant la proximité et le côté chaleureux du quartier.
2. **« Ici, les libraires lisent avant de conseiller. »** — souligne le conseil personnalisé, ce qu'un site en ligne ne peut pas offrir.
3. **« Entrez pour un livre, ressortez avec un monde. »** — plus poétique, idéal pour une vitrine ou un sac en tissu.
""",
    en=r"""
1. **"Stories just around the corner."** — highlights how close and friendly the shop is.
2. **"Our booksellers read before they recommend."** — stresses personal advice.
3. **"Come in for a book, leave with a world."** — poetic, great for a window display.
""",
)

P(
    "es-cr-poema-lluvia",
    "creative",
    "es",
    "Escribe un poema corto sobre la lluvia en la ciudad.",
    r"""
**Lluvia en la ciudad**

Llueve sobre los tejados y el asfalto,
los paraguas se abren como flores negras;
el semáforo pinta charcos de rojo
y la ciudad, por fin, baja la voz.

Corre un niño sin miedo a mojarse,
una ventana guarda un café caliente;
y el agua, paciente, lava las aceras
como quien borra un día para empezar otro.
""",
    en=r"""
**Rain in the City**

Rain on the rooftops and the asphalt,
umbrellas opening like black flowers;
the traffic light paints puddles red
and the city, at last, lowers its voice.
""",
)


# ===========================================================================
# REASONING
# ===========================================================================

P(
    "rs-bat-ball",
    "reasoning",
    "en",
    "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?",
    r"""
The ball costs **$0.05** (5 cents).

Let the ball cost *b*. Then the bat costs *b* + 1.00, and:

b + (b + 1.00) = 1.10
2b = 0.10
**b = 0.05**

Check: ball $0.05 + bat $1.05 = $1.10, and $1.05 is exactly $1.00 more than $0.05 ✓

The intuitive answer, 10 cents, is wrong: then the bat would cost $1.10 and the total would be $1.20.
""",
    wrong=r"""
The ball costs **$0.10**.

$1.10 minus the $1.00 for the bat leaves 10 cents for the ball.
""",
)

P(
    "rs-sally-sisters",
    "reasoning",
    "en",
    "Sally has 3 brothers. Each of her brothers has 2 sisters. How many sisters does Sally have?",
    r"""
Sally has **1 sister**.

All the brothers share the same sisters. Each brother has 2 sisters, and one of them is Sally herself — so there is exactly one other girl in the family. The family has 2 girls and 3 boys.
""",
    wrong=r"""
Sally has **6 sisters**.

She has 3 brothers and each of them has 2 sisters, so 3 × 2 = 6 sisters.
""",
)

P(
    "rs-river-crossing",
    "reasoning",
    "en",
    "A farmer needs to cross a river with a wolf, a goat and a cabbage. His boat can carry only him and one item. Left alone, the wolf would eat the goat and the goat would eat the cabbage. How does he get everything across?",
    r"""
The trick is that the goat is the problem item, so it has to be **brought back once**. Seven crossings:

1. Take the **goat** across. (Wolf and cabbage are safe together.)
2. Return alone.
3. Take the **wolf** across.
4. Bring the **goat back** with you.
5. Take the **cabbage** across. (Wolf and cabbage wait together on the far bank.)
6. Return alone.
7. Take the **goat** across again.

Everything is now on the far side, and the goat was never left alone with the wolf or the cabbage. (Swapping "wolf" and "cabbage" in steps 3 and 5 works just as well.)
""",
    wrong=r"""
1. Take the wolf across first, since it is the most dangerous.
2. Go back and take the goat across.
3. Go back and take the cabbage across.

Now everything is on the other side.
""",
    short="Take the goat over, come back, take the wolf over, bring the goat back, take the cabbage over, come back, then take the goat over again.",
)

P(
    "rs-lily-pads",
    "reasoning",
    "en",
    "A patch of lily pads doubles in size every day. If it takes 48 days for the patch to cover the entire lake, how long does it take to cover half the lake?",
    r"""
**47 days.**

Because the patch doubles every day, it covers the whole lake on day 48 only if it covered **half** the lake the day before. So half the lake is covered on day 47.

Halving the number of days (24) is the tempting but wrong answer: on day 24 the patch covers only 1/2²⁴ of the lake — about 0.00006%.
""",
    wrong=r"""
**24 days.**

Half of the lake takes half the time, and half of 48 is 24 days.
""",
)

P(
    "rs-widgets",
    "reasoning",
    "en",
    "If 5 machines take 5 minutes to make 5 widgets, how long would it take 100 machines to make 100 widgets?",
    r"""
**5 minutes.**

5 machines make 5 widgets in 5 minutes, so **each machine makes 1 widget in 5 minutes**. With 100 machines working in parallel, each makes one widget in those same 5 minutes — 100 widgets in total.
""",
    wrong=r"""
**100 minutes.**

The numbers scale together: 5 machines, 5 widgets, 5 minutes, so 100 machines and 100 widgets take 100 minutes.
""",
)

P(
    "rs-nine-coins",
    "reasoning",
    "en",
    "I have 9 identical-looking coins. One is slightly heavier than the others. Using a balance scale, what's the minimum number of weighings needed to find the heavy coin, and how?",
    r"""
**Two weighings** are enough.

1. Split the coins into three groups of 3: A, B and C. Weigh **A against B**.
   - If one side is heavier, the heavy coin is in that group.
   - If they balance, it's in group C.
2. Take the three coins from the suspect group and weigh **one against another**.
   - If one side is heavier, that's the coin.
   - If they balance, it's the third coin.

**Why it works:** each weighing has three outcomes (left heavier, right heavier, balance), so two weighings can distinguish 3 × 3 = 9 possibilities — exactly the number of coins. One weighing can't be enough, because it only has 3 outcomes for 9 candidates.
""",
    wrong=r"""
You need **3 weighings**.

Weigh 4 coins against 4 coins. Take the heavier 4 and weigh 2 against 2. Then weigh the last 2 against each other to find the heavy one. (If the first weighing balances, the coin left over is the heavy one.)
""",
)

P(
    "rs-day-after-tomorrow",
    "reasoning",
    "en",
    "If the day before yesterday was Thursday, what day will it be the day after tomorrow?",
    r"""
It will be **Monday**.

- Day before yesterday: Thursday
- Yesterday: Friday
- **Today: Saturday**
- Tomorrow: Sunday
- Day after tomorrow: **Monday**
""",
    wrong=r"""
It will be **Sunday**.

If the day before yesterday was Thursday, today is Friday, so the day after tomorrow is Sunday.
""",
)

P(
    "rs-syllogism",
    "reasoning",
    "en",
    "All bloops are razzies, and all razzies are lazzies. Are all bloops definitely lazzies? Are all lazzies definitely bloops?",
    r"""
- **Are all bloops lazzies? Yes, definitely.** Every bloop is a razzie, and every razzie is a lazzie, so every bloop is a lazzie. (The relation "is a subset of" is transitive.)
- **Are all lazzies bloops? No, not necessarily.** The statements allow lazzies that aren't razzies, and razzies that aren't bloops.

Picture three nested circles: bloops inside razzies, razzies inside lazzies. You can move from the inner circle outward, but not the other way.
""",
    wrong=r"""
Yes to both. All bloops are lazzies, and since they are all connected through razzies, all lazzies are bloops as well.
""",
)

P(
    "rs-light-switches",
    "reasoning",
    "en",
    "There are three light switches outside a closed room. One of them controls a lamp inside. You can flip the switches as much as you like, but you may enter the room only once. How do you find out which switch controls the lamp?",
    r"""
Use the bulb's **heat** as a second source of information:

1. Turn **switch 1 on** and leave it on for a few minutes.
2. Turn **switch 1 off**, then turn **switch 2 on**.
3. Enter the room immediately.

- Lamp **on** → it's switch 2.
- Lamp **off but warm** → it's switch 1.
- Lamp **off and cold** → it's switch 3.

(This relies on an incandescent or halogen bulb; a modern LED bulb barely warms up, so the trick may not work with one.)
""",
)

P(
    "rs-maria-age",
    "reasoning",
    "en",
    "In 5 years, Maria will be twice as old as she was 7 years ago. How old is Maria now?",
    r"""
Maria is **19** years old.

Let *m* be her current age:

m + 5 = 2 × (m − 7)
m + 5 = 2m − 14
**m = 19**

Check: in 5 years she'll be 24; 7 years ago she was 12; and 24 = 2 × 12 ✓
""",
    wrong=r"""
Maria is **12** years old.

7 years ago she was half her future age, so 5 + 7 = 12.
""",
)

P(
    "rs-handshakes",
    "reasoning",
    "en",
    "At a party, everyone shook hands with everyone else exactly once. There were 45 handshakes in total. How many people were at the party?",
    r"""
There were **10 people**.

With *n* people, each handshake is a pair of people, so the number of handshakes is

$$\binom{n}{2} = \frac{n(n-1)}{2}$$

Setting n(n − 1)/2 = 45 gives n(n − 1) = 90, and 10 × 9 = 90, so **n = 10**.
""",
    wrong=r"""
There were **9 people**.

Each person shakes hands with everyone else, and 9 × 5 = 45, so 9 people.
""",
)

P(
    "rs-clock-angle",
    "reasoning",
    "en",
    "What is the angle between the hour hand and the minute hand of a clock at 3:15?",
    r"""
The angle is **7.5 degrees**.

- The **minute hand** at 15 minutes points exactly at the 3: 15 × 6° = **90°**.
- The **hour hand** moves 30° per hour *and* 0.5° per minute. At 3:15 it has moved past the 3: 3 × 30° + 15 × 0.5° = **97.5°**.
- Difference: 97.5° − 90° = **7.5°**.

The common mistake is answering 0°, forgetting that the hour hand keeps moving between the hour marks.
""",
    wrong=r"""
The angle is **0 degrees**.

At 3:15 the minute hand points at the 3 and the hour hand is also on the 3, so they overlap.
""",
)

P(
    "fr-rs-escargot",
    "reasoning",
    "fr",
    "Un escargot est au fond d'un puits de 10 mètres. Chaque jour il monte de 3 mètres, mais chaque nuit il glisse de 2 mètres. En combien de jours sort-il du puits ?",
    r"""
L'escargot sort du puits au bout de **8 jours**.

Chaque cycle complet (jour + nuit) lui fait gagner 1 mètre, **mais** le dernier jour il ne glisse pas, puisqu'il est déjà sorti.

- À la fin de la 7ᵉ nuit, il est à 7 mètres.
- Le 8ᵉ jour, il monte de 3 mètres : 7 + 3 = **10 mètres**, il atteint le bord.

Le piège classique est de répondre 10 jours en comptant simplement 1 mètre par jour.
""",
    wrong=r"""
Il sort au bout de **10 jours**.

Il monte de 3 m et redescend de 2 m, donc il gagne 1 m par jour. Pour 10 mètres, il lui faut 10 jours.
""",
    en=r"""
**8 days.** The snail gains 1 m per full day-night cycle, so after 7 nights it is at 7 m; on day 8 it climbs 3 m, reaches 10 m and is out before it can slip back.
""",
)

P(
    "fr-rs-deux-gardiens",
    "reasoning",
    "fr",
    "Deux portes : l'une mène à la liberté, l'autre à un cachot. Devant elles, deux gardiens : l'un dit toujours la vérité, l'autre ment toujours, mais on ne sait pas lequel est lequel. On n'a droit qu'à une seule question. Que demander ?",
    r"""
Demandez à **n'importe lequel** des deux gardiens :

> « Si je demandais à l'autre gardien quelle porte mène à la liberté, laquelle m'indiquerait-il ? »

Puis prenez **l'autre porte**.

**Pourquoi ça marche :**

- Si vous interrogez le **sincère**, il vous rapporte fidèlement la réponse du menteur, qui est fausse.
- Si vous interrogez le **menteur**, il déforme la réponse (vraie) du sincère, donc il vous indique la mauvaise porte.

Dans les deux cas, la porte désignée est celle du cachot : il suffit de choisir l'autre.
""",
    wrong=r"""
Il suffit de demander à un gardien : « Quelle porte mène à la liberté ? » et de passer par la porte qu'il indique, car les gardiens doivent répondre honnêtement à une question directe.
""",
    en=r"""
Ask either guard: *"If I asked the other guard which door leads to freedom, which one would he point to?"* Then take the **other** door. Both guards end up pointing at the dungeon: the honest one faithfully reports the liar's lie, and the liar lies about the honest answer.
""",
    short="Demandez à l'un des deux gardiens : « Si je demandais à l'autre gardien quelle porte mène à la liberté, laquelle m'indiquerait-il ? », puis prenez l'autre porte.",
)

P(
    "fr-rs-suite",
    "reasoning",
    "fr",
    "Quel est le nombre suivant dans la suite : 2, 6, 12, 20, 30, … ?",
    r"""
Le nombre suivant est **42**.

**Deux façons de le voir :**

- Les écarts entre les termes sont 4, 6, 8, 10 : ils augmentent de 2 à chaque fois, donc le prochain écart est 12, et 30 + 12 = **42**.
- Chaque terme vaut n × (n + 1) : 1×2, 2×3, 3×4, 4×5, 5×6, donc le suivant est **6 × 7 = 42**.
""",
    wrong=r"""
Le nombre suivant est **40**.

Les écarts sont 4, 6, 8, 10, donc on ajoute encore 10 : 30 + 10 = 40.
""",
    en=r"""
The next number is **42**. The gaps are 4, 6, 8, 10, so the next gap is 12; equivalently each term is n × (n + 1), and 6 × 7 = 42.
""",
)

P(
    "es-rs-calcetines",
    "reasoning",
    "es",
    "En un cajón hay 10 calcetines negros y 10 blancos, mezclados. Está a oscuras. ¿Cuántos calcetines tengo que sacar como mínimo para asegurarme de tener un par del mismo color?",
    r"""
Basta con sacar **3 calcetines**.

Solo hay **dos colores**. Con 2 calcetines podrías tener mala suerte y sacar uno negro y uno blanco, pero el tercero será forzosamente negro o blanco, así que coincidirá con uno de los anteriores.

Es el **principio del palomar**: con 3 calcetines y 2 "cajas" (colores), al menos una caja contiene 2 calcetines.
""",
    wrong=r"""
Tienes que sacar **11 calcetines**.

En el peor caso sacas los 10 de un color primero, así que necesitas uno más para asegurarte.
""",
    en=r"""
You need to take out **3 socks**. There are only two colours, so among any three socks at least two must match (the pigeonhole principle).
""",
)


# ===========================================================================
# KNOWLEDGE
# ===========================================================================

P(
    "kn-photosynthesis",
    "knowledge",
    "en",
    "Explain photosynthesis in simple terms.",
    r"""
Photosynthesis is how plants **make their own food from sunlight**.

Think of a leaf as a tiny solar-powered kitchen:

- **Ingredients:** carbon dioxide (CO₂) from the air, taken in through tiny pores, and water (H₂O) pulled up from the roots.
- **Energy source:** sunlight, captured by the green pigment **chlorophyll** inside structures called chloroplasts.
- **Products:** **glucose**, a sugar the plant uses for energy and to build stems, leaves and roots — and **oxygen**, which is released into the air.

The overall reaction is:

**6 CO₂ + 6 H₂O + light energy → C₆H₁₂O₆ + 6 O₂**

This matters far beyond plants: photosynthesis produces most of the oxygen we breathe and is the starting point of almost every food chain on Earth.
""",
)

P(
    "kn-seasons",
    "knowledge",
    "en",
    "Why do we have seasons on Earth?",
    r"""
Seasons happen because **Earth's axis is tilted by about 23.4°** relative to its orbit around the Sun — **not** because Earth gets closer to or farther from the Sun.

As Earth orbits, the tilt stays pointed in the same direction in space, so:

- When the **Northern Hemisphere leans towards the Sun** (around June), sunlight hits it more directly and days are longer → **summer** in the north, winter in the south.
- Six months later it **leans away** (around December) → sunlight arrives at a lower angle, spread over a larger area, and days are shorter → **winter** in the north, summer in the south.

**Proof that distance isn't the cause:** Earth is actually *closest* to the Sun in early January, during the northern winter. And the two hemispheres always have opposite seasons, which distance alone couldn't explain.
""",
    wrong=r"""
We have seasons because Earth's orbit is an oval. In summer Earth is much closer to the Sun, so it gets more heat, and in winter it is farther away, so it is colder everywhere on the planet.
""",
)

P(
    "kn-tcp-udp",
    "knowledge",
    "en",
    "What's the difference between TCP and UDP?",
    r"""
Both are transport protocols on top of IP, but they make opposite trade-offs.

| | **TCP** | **UDP** |
|---|---|---|
| Connection | Handshake before sending data | Connectionless, just send |
| Reliability | Lost packets are retransmitted | No retransmission |
| Ordering | Data arrives in order | Packets may arrive out of order |
| Flow/congestion control | Yes | No (the application must handle it) |
| Overhead and latency | Higher | Lower |
| Typical uses | Web pages (HTTP/1.1, HTTP/2), email, file transfer, SSH | DNS, video calls, online games, live streaming, QUIC/HTTP/3 |

**In one sentence:** TCP is like a tracked parcel service that guarantees delivery in order, while UDP is like sending postcards — faster and lighter, but some may get lost, and that's acceptable when fresh data matters more than perfect data (a video call shouldn't pause to resend a frame from two seconds ago).
""",
    short="TCP is connection-based, reliable and ordered (web, email, SSH); UDP is connectionless and lighter, with no delivery or ordering guarantees (DNS, video calls, games).",
)

P(
    "kn-inflation",
    "knowledge",
    "en",
    "What causes inflation?",
    r"""
Inflation is a **general, sustained rise in prices**, meaning each unit of money buys less. Economists usually group its causes into three kinds:

1. **Demand-pull inflation** — total demand grows faster than the economy can produce goods and services. Examples: strong consumer spending, big government stimulus, very low interest rates that encourage borrowing.
2. **Cost-push inflation** — production gets more expensive and firms pass costs on to customers. Examples: an oil price shock, supply-chain disruptions, rising raw-material costs.
3. **Built-in (expectations) inflation** — once people *expect* prices to keep rising, workers ask for higher wages and firms raise prices in anticipation, which keeps the cycle going.

Underlying all three is **money and credit growth**: if the amount of money in circulation grows much faster than output over long periods, prices rise.

Central banks aim for low, stable inflation (often around **2%**) mainly by raising or lowering interest rates.
""",
)

P(
    "kn-mrna-vaccines",
    "knowledge",
    "en",
    "How do mRNA vaccines work?",
    r"""
An mRNA vaccine gives your cells a **temporary set of instructions** to make one harmless piece of a virus, so your immune system can practise recognising it.

1. **Delivery:** the mRNA is wrapped in tiny fat bubbles (lipid nanoparticles) that help it enter cells near the injection site.
2. **Protein production:** the cell's ribosomes read the mRNA and produce the target protein — for COVID-19 vaccines, the coronavirus **spike protein**.
3. **Immune response:** the immune system spots this foreign protein and makes **antibodies** and **T cells** against it, plus memory cells that remember it.
4. **Clean-up:** the mRNA breaks down naturally within days. It never enters the cell nucleus and **cannot change your DNA**.

If you're later exposed to the real virus, your immune system recognises the spike protein and responds much faster. A major advantage of the technology is speed: once scientists know a pathogen's genetic sequence, a new mRNA vaccine can be designed in weeks.
""",
)

P(
    "kn-rome-fall",
    "knowledge",
    "en",
    "Why did the Western Roman Empire fall?",
    r"""
Historians agree there was **no single cause**: the Western Empire declined over the 4th and 5th centuries through a combination of pressures, traditionally ending in **476 AD**, when the Germanic general Odoacer deposed the last western emperor, Romulus Augustulus.

**Main factors:**

- **Political instability** — frequent civil wars and usurpations; the 3rd century alone saw dozens of emperors, many murdered.
- **Military pressure** — migrations and invasions by Goths, Vandals, Huns and others, and growing reliance on hired "barbarian" troops whose loyalty was uncertain.
- **Economic strain** — heavy taxation, debased currency and inflation, disrupted trade, and the loss of rich provinces such as North Africa to the Vandals (439).
- **Division of the empire** — after 395 the East and West were ruled separately, and the wealthier, better-defended East survived as the Byzantine Empire until 1453.

Older single-cause explanations (moral decay, Christianity, lead poisoning) are mostly rejected by modern historians, or seen as minor at best.
""",
    wrong=r"""
The Western Roman Empire fell in 1453 when the Ottoman Turks captured Rome. The main cause was lead poisoning from the water pipes, which made the emperors and the population weak and unable to defend the city.
""",
)

P(
    "kn-black-hole",
    "knowledge",
    "en",
    "What is a black hole, and what exactly is the event horizon?",
    r"""
A **black hole** is a region of space where so much mass is squeezed into such a small volume that its gravity stops anything — even light — from escaping.

Most form when a very massive star (roughly 20+ times the Sun's mass) runs out of fuel and its core collapses. **Supermassive** black holes, millions to billions of times the Sun's mass, sit at the centres of most large galaxies, including our own (Sagittarius A*).

**The event horizon** is the boundary around a black hole:

- Outside it, something moving fast enough can still escape.
- Inside it, *every* possible path leads inward; the escape speed would exceed the speed of light.
- It is not a physical surface — an astronaut falling through a large black hole's horizon would notice nothing special at that moment.

For a non-rotating black hole its radius is the **Schwarzschild radius**, r = 2GM/c². For an object with the Sun's mass that's about **3 km**; for Earth, about **9 mm**.
""",
)

P(
    "kn-dna-rna",
    "knowledge",
    "en",
    "What's the difference between DNA and RNA?",
    r"""
Both are nucleic acids that store and carry genetic information, but they differ in structure and role.

| | **DNA** | **RNA** |
|---|---|---|
| Structure | Double helix (two strands) | Usually a single strand |
| Sugar | Deoxyribose | Ribose (one extra oxygen) |
| Bases | A, **T**, G, C | A, **U**, G, C — uracil replaces thymine |
| Stability | Very stable, long-term storage | Less stable, short-lived |
| Main location | Cell nucleus (and mitochondria) | Made in the nucleus, works mostly in the cytoplasm |
| Main role | Permanent archive of genetic instructions | Carries and uses the instructions |

**Analogy:** DNA is the master cookbook kept safely in the library; **messenger RNA** is a photocopy of one recipe taken to the kitchen (the ribosome), where it's used to make a protein. Other RNAs, such as transfer RNA and ribosomal RNA, help with the cooking itself.
""",
    short="DNA is a stable double helix (deoxyribose, thymine) that stores genetic information; RNA is usually single-stranded (ribose, uracil) and carries out those instructions, e.g. mRNA for making proteins.",
)

P(
    "kn-sky-blue",
    "knowledge",
    "en",
    "Why is the sky blue?",
    r"""
The sky is blue because of **Rayleigh scattering**: molecules in the air scatter short (blue) wavelengths of sunlight much more strongly than long (red) ones.

- Sunlight contains all colours.
- The scattering strength goes roughly as **1/λ⁴**, so blue light (about 450 nm) is scattered several times more than red light (about 700 nm).
- That scattered blue light reaches your eyes from every direction of the sky, so the whole sky looks blue.

**Why not violet**, which is scattered even more? Sunlight contains less violet, some is absorbed high in the atmosphere, and our eyes are less sensitive to it.

**Sunsets are red and orange** for the same reason: when the Sun is low, its light crosses much more air, most of the blue is scattered away along the way, and mainly reds and oranges get through.
""",
    wrong=r"""
The sky is blue because it reflects the colour of the oceans. Since about 70% of Earth is covered by water, the light bouncing off the seas gives the atmosphere its blue colour. That's also why the sky looks grey on days when the sea is grey.
""",
)

P(
    "kn-http-status",
    "knowledge",
    "en",
    "What do the HTTP status codes 200, 301, 404 and 500 mean?",
    r"""
- **200 OK** — the request succeeded and the response contains the requested content.
- **301 Moved Permanently** — the resource has a new permanent URL (given in the `Location` header). Browsers and search engines should use the new address from now on.
- **404 Not Found** — the server couldn't find anything at that URL. The problem is on the client side (wrong or outdated link).
- **500 Internal Server Error** — something went wrong on the server while handling the request, typically an unhandled exception or a misconfiguration.

**The first digit tells you the family:** 2xx success, 3xx redirection, 4xx client error, 5xx server error. (1xx codes are informational.)
""",
    wrong=r"""
- **200** — the page was redirected.
- **301** — you are not authorised to see the page.
- **404** — the server crashed.
- **500** — the page was not found.
""",
)

P(
    "kn-tides",
    "knowledge",
    "en",
    "How does the Moon cause tides?",
    r"""
Tides are caused by the **difference** in the Moon's gravitational pull across Earth.

- The side of Earth **facing the Moon** is pulled a bit more strongly than Earth's centre, so the ocean there bulges towards the Moon.
- The **far side** is pulled *less* strongly than the centre, so the ocean there is effectively left behind, forming a second bulge.

As Earth rotates through these **two bulges**, most coastlines get **two high tides and two low tides roughly every 24 hours 50 minutes** (the extra 50 minutes is because the Moon moves along its orbit in the meantime).

**The Sun matters too**, at about half the Moon's effect:

- At new and full moon the Sun and Moon line up → stronger **spring tides**.
- At the quarter moons they pull at right angles → weaker **neap tides**.

Local coastline shape and seabed depth make tidal ranges vary enormously: a few centimetres in the Mediterranean, over 15 m in Canada's Bay of Fundy.
""",
)

P(
    "kn-antibiotics-viruses",
    "knowledge",
    "en",
    "Why don't antibiotics work against viruses?",
    r"""
Because antibiotics attack **structures and processes that only bacteria have**, and viruses don't have them.

Antibiotics typically target:

- the bacterial **cell wall** (penicillin, for example, blocks how it's built),
- bacterial **ribosomes**, which differ from ours,
- enzymes bacteria need to copy their DNA.

**Viruses are not cells.** They have no cell wall and no ribosomes of their own; they get inside *our* cells and hijack our machinery to replicate. There is nothing for an antibiotic to hit.

Viral infections are treated with **antivirals** (which target specific viral steps, such as an enzyme the virus needs), prevented with **vaccines**, or simply left to the immune system. Taking antibiotics for a cold or flu won't help and contributes to **antibiotic resistance**, which makes future bacterial infections harder to treat.
""",
)

P(
    "kn-printing-press",
    "knowledge",
    "en",
    "When was the printing press invented, and why did it matter so much?",
    r"""
**Johannes Gutenberg** developed the movable-type printing press in **Mainz, Germany, around 1440–1450**; his famous Bible was printed around **1455**. (Movable type had existed earlier in China and Korea, but Gutenberg's combination of metal type, oil-based ink and a screw press made mass printing practical in Europe.)

**Why it mattered:**

- **Cheaper, faster books** — a press could produce thousands of pages a day versus a few by hand; by 1500, millions of books were circulating in Europe.
- **Spread of ideas** — it fuelled the Renaissance, and Martin Luther's writings spread rapidly in print, helping drive the **Reformation** after 1517.
- **Science** — identical copies meant researchers could share, check and build on each other's results.
- **Literacy and language** — more affordable reading material encouraged literacy and helped standardise written vernacular languages.
""",
    wrong=r"""
The printing press was invented by Leonardo da Vinci in Florence in 1605. It mattered because it allowed newspapers to be printed for the first time, which started the Industrial Revolution.
""",
)

P(
    "fr-kn-revolution",
    "knowledge",
    "fr",
    "Quelles ont été les principales causes de la Révolution française ?",
    r"""
La Révolution de **1789** résulte d'une combinaison de causes :

- **Crise financière** — l'État est lourdement endetté, notamment à cause des guerres, dont le soutien à l'indépendance américaine. Les privilégiés refusent les réformes fiscales, ce qui pousse Louis XVI à convoquer les **États généraux** en mai 1789.
- **Inégalités sociales** — la société est divisée en trois ordres. Le clergé et la noblesse bénéficient de privilèges, tandis que le **tiers état** (plus de 95 % de la population) supporte l'essentiel des impôts.
- **Crise économique** — de mauvaises récoltes en 1788 font flamber le prix du pain, provoquant faim et colère dans les villes et les campagnes.
- **Idées des Lumières** — Montesquieu, Rousseau ou Voltaire diffusent les idées de souveraineté du peuple, de séparation des pouvoirs et d'égalité devant la loi.
- **Affaiblissement de la monarchie** — un pouvoir royal jugé hésitant et une cour perçue comme dépensière.

L'étincelle : le tiers état se proclame **Assemblée nationale** (17 juin 1789), puis la **prise de la Bastille** le 14 juillet.
""",
    en=r"""
The main causes of the French Revolution (1789) were a state **financial crisis** (war debts, including support for American independence), deep **social inequality** between the three estates, **bread price spikes** after the poor harvest of 1788, the spread of **Enlightenment ideas**, and a weakened monarchy. The Estates-General of May 1789 and the storming of the Bastille on 14 July were the spark.
""",
)

P(
    "fr-kn-effet-de-serre",
    "knowledge",
    "fr",
    "Qu'est-ce que l'effet de serre ?",
    r"""
L'effet de serre est un **phénomène naturel** par lequel certains gaz de l'atmosphère retiennent une partie de la chaleur émise par la Terre.

**Le mécanisme :**

1. Le Soleil chauffe la surface de la Terre.
2. La Terre réémet cette énergie sous forme de **rayonnement infrarouge**.
3. Les **gaz à effet de serre** (vapeur d'eau, dioxyde de carbone CO₂, méthane CH₄, protoxyde d'azote…) absorbent une partie de ce rayonnement et le renvoient dans toutes les directions, dont vers le sol.

**Sans effet de serre**, la température moyenne de la Terre serait d'environ **−18 °C** au lieu de **+15 °C** : il est donc indispensable à la vie.

**Le problème** vient de son **renforcement** par les activités humaines (combustion du charbon, du pétrole et du gaz, déforestation, élevage). La concentration de CO₂ est passée d'environ 280 ppm avant l'ère industrielle à plus de 420 ppm aujourd'hui, ce qui provoque le réchauffement climatique.
""",
    en=r"""
The greenhouse effect is a natural process in which gases such as water vapour, CO₂ and methane absorb infrared heat radiated by Earth's surface and send part of it back down. Without it Earth would average about −18 °C instead of +15 °C. The problem is that human emissions (fossil fuels, deforestation) have strengthened it — CO₂ has risen from about 280 ppm to over 420 ppm — causing global warming.
""",
)

P(
    "fr-kn-tour-eiffel",
    "knowledge",
    "fr",
    "Quand et pourquoi la tour Eiffel a-t-elle été construite ?",
    r"""
La tour Eiffel a été construite **de 1887 à 1889** pour l'**Exposition universelle de 1889** à Paris, qui célébrait aussi le **centenaire de la Révolution française**.

**Quelques repères :**

- Le projet est conçu par les ingénieurs **Maurice Koechlin et Émile Nouguier**, de l'entreprise de **Gustave Eiffel**, avec l'architecte Stephen Sauvestre.
- Le chantier dure à peine plus de **deux ans** ; la tour mesure alors environ **300 mètres**, ce qui en fait la plus haute construction du monde jusqu'en 1930.
- Elle devait être **démontée après 20 ans**. Elle a été sauvée notamment grâce à son utilité scientifique, en particulier pour la **radiotélégraphie**.
- À sa construction, elle a été vivement critiquée par des artistes et écrivains, qui la jugeaient laide.
""",
    wrong=r"""
La tour Eiffel a été construite en **1900** pour les Jeux olympiques de Paris. Elle a été conçue par l'architecte Le Corbusier et devait servir de phare pour les avions.
""",
    en=r"""
The Eiffel Tower was built **from 1887 to 1889** for the **1889 World's Fair** in Paris, which also marked the centenary of the French Revolution. Designed by engineers from Gustave Eiffel's company, it was meant to be dismantled after 20 years but was kept, partly because it proved useful for radio transmission. At about 300 m it was the world's tallest structure until 1930.
""",
)

P(
    "fr-kn-neurones",
    "knowledge",
    "fr",
    "Combien de neurones contient le cerveau humain ?",
    r"""
Le cerveau humain contient environ **86 milliards de neurones**.

**Quelques précisions :**

- Cette estimation date d'études de 2009, qui ont compté les noyaux cellulaires dans des cerveaux dissous (méthode dite du « fractionneur isotropique »). Le chiffre de « 100 milliards » longtemps cité était une approximation.
- Environ **69 milliards** se trouvent dans le **cervelet**, et environ **16 milliards** dans le **cortex cérébral**.
- Chaque neurone peut former des milliers de connexions (synapses) : on estime leur nombre total à plusieurs **centaines de milliers de milliards**.
- Le cerveau contient aussi des **cellules gliales**, à peu près aussi nombreuses que les neurones, qui les soutiennent et les nourrissent.
""",
    wrong=r"""
Le cerveau humain contient environ **10 millions de neurones**, dont la plupart se trouvent dans le cortex. On n'en utilise d'ailleurs que 10 % en même temps.
""",
    en=r"""
The human brain has roughly **86 billion neurons** (the old "100 billion" figure was a rough guess). About 69 billion are in the cerebellum and about 16 billion in the cerebral cortex, linked by hundreds of trillions of synapses.
""",
)

P(
    "es-kn-machu-picchu",
    "knowledge",
    "es",
    "¿Qué es Machu Picchu y quién lo construyó?",
    r"""
**Machu Picchu** es una ciudadela **inca** situada a unos 2.430 metros de altitud en los Andes del sur de Perú, sobre el valle del río Urubamba, cerca de Cusco.

- **Quién y cuándo:** se construyó a mediados del **siglo XV**, probablemente como finca real del emperador inca **Pachacútec**.
- **Cómo:** destaca por su arquitectura de piedra tallada y encajada **sin mortero**, sus terrazas agrícolas y su ingeniería para el drenaje del agua, que la ha protegido de lluvias y terremotos.
- **Abandono:** fue abandonada hacia la época de la conquista española, en el siglo XVI, y los españoles nunca la encontraron.
- **Fama mundial:** la dio a conocer internacionalmente el explorador estadounidense **Hiram Bingham** en **1911**, aunque los campesinos locales ya conocían el lugar.

Es **Patrimonio de la Humanidad** de la UNESCO desde 1983.
""",
    wrong=r"""
Machu Picchu es una pirámide construida por los **aztecas** en el siglo X en el centro de México, y servía como templo dedicado al sol.
""",
    en=r"""
**Machu Picchu** is an **Inca** citadel in the Andes of southern Peru, near Cusco, built in the mid-15th century, probably as a royal estate for the emperor **Pachacuti**. It is famous for its mortar-free stonework and terraces, was abandoned around the Spanish conquest, and became world-famous after Hiram Bingham's 1911 expedition. It has been a UNESCO World Heritage Site since 1983.
""",
)


# ===========================================================================
# ADVICE
# ===========================================================================

P(
    "ad-sleep",
    "advice",
    "en",
    "I have trouble falling asleep at night. Any practical tips?",
    r"""
Here are the habits with the best evidence behind them:

1. **Keep a fixed wake-up time**, even on weekends. A consistent morning anchor is the most powerful way to reset your body clock.
2. **Get daylight early** — 10–20 minutes outside in the morning helps your body know when "day" is.
3. **Cut caffeine after about 2 p.m.** Its effects can last 6–8 hours.
4. **Dim the lights and screens** for the last hour before bed, and keep the bedroom cool (around 18 °C), dark and quiet.
5. **Don't fight it in bed.** If you've been awake for roughly 20 minutes, get up, do something calm in low light (reading a paper book), and return when you feel sleepy.
6. **Park your worries:** write tomorrow's to-do list or what's on your mind before bed, so your brain doesn't rehearse it at midnight.
7. **Go easy on alcohol and heavy late meals** — alcohol may make you drowsy but fragments sleep later in the night.

**When to see a doctor:** if the problem lasts more than about three weeks, affects your daytime functioning, or comes with loud snoring or gasping at night. Cognitive behavioural therapy for insomnia (CBT-I) is the recommended first-line treatment for chronic insomnia and works better long-term than sleeping pills.
""",
)

P(
    "ad-job-interview",
    "advice",
    "en",
    "I have a job interview tomorrow. How should I prepare tonight?",
    r"""
Focus on a few high-impact things rather than cramming:

**1. Know the company and the role (30 min)**
- Read the job description again and highlight the 3–4 main requirements.
- Skim the company's website, recent news and its products.

**2. Prepare your stories (45 min)**
- Pick 4–5 concrete examples from your experience: a success, a conflict, a mistake you learned from, a time you led something.
- Structure each one with **STAR**: Situation, Task, Action, Result — and put numbers in the result where you can.

**3. Rehearse the classics out loud**
- "Tell me about yourself" (a 60–90 second summary ending with why this role).
- "Why do you want to work here?" and "Why are you leaving your current job?"

**4. Prepare 2–3 questions for them**, such as: "What would success look like in the first three months?"

**5. Logistics**
- Plan your route (or test your camera, microphone and link for a video call) and aim to be ready 10 minutes early.
- Lay out your clothes and print or save a copy of your CV.

Then **stop preparing and get a good night's sleep** — being rested will help you more than another hour of reading.
""",
)

P(
    "ad-budget",
    "advice",
    "en",
    "I've never had a budget. How do I start?",
    r"""
Start simple — the best budget is one you'll actually keep.

**Step 1: Find out where your money goes.** Go through the last 2–3 months of bank and card statements and group spending into categories (rent, groceries, transport, subscriptions, eating out…). This alone is usually eye-opening.

**Step 2: Use a simple framework.** A popular starting point is **50/30/20** of your take-home pay:
- **50%** needs (housing, food, utilities, transport, minimum debt payments)
- **30%** wants (restaurants, hobbies, travel)
- **20%** savings and extra debt repayment

**Step 3: Pay yourself first.** Set up an automatic transfer to savings on payday, so saving happens before spending.

**Step 4: Build an emergency fund.** Aim for a first target of one month of expenses, then work up to 3–6 months.

**Step 5: Track and review weekly.** Use an app, a spreadsheet or even a notebook — spend 10 minutes a week checking how you're doing.

**Tip:** cancel subscriptions you haven't used in the last month. It's the quickest win for most people.
""",
)

P(
    "ad-learn-language",
    "advice",
    "en",
    "What's the most effective way to learn a new language as an adult?",
    r"""
Adults learn languages very well when they combine **lots of understandable input** with **regular speaking practice**. A practical plan:

1. **Daily, short sessions** beat weekend marathons. 30–45 minutes every day is a solid target.
2. **Learn the most frequent words first.** The 1,000 most common words cover a large share of everyday conversation. Use a spaced-repetition app (such as Anki) to review them.
3. **Listen and read a lot, at your level** — graded readers, podcasts for learners, YouTube channels with subtitles in the target language. You should understand most of what you hear.
4. **Speak early.** Book a conversation partner or tutor once or twice a week from the first month; mistakes are part of the process.
5. **Learn phrases, not just words** — "Could I have…", "What do you mean by…". They make you functional quickly.
6. **Use grammar as a map, not the destination.** Study a rule, then look for it in real content.
7. **Make it part of your life:** switch your phone's language, follow creators in that language, cook from recipes written in it.

Expect the first three months to feel slow; progress speeds up noticeably once you can understand simple native content.
""",
)

P(
    "ad-sharpen-knife",
    "advice",
    "en",
    "How do I sharpen a kitchen knife with a whetstone?",
    r"""
**What you need:** a combination whetstone (for example 1000/6000 grit), water, and a damp towel to keep the stone from sliding.

1. **Prepare the stone.** Soak a water stone for 10–15 minutes until it stops bubbling (splash-and-go stones only need wetting). Place it coarse side up on the towel.
2. **Find the angle.** Hold the knife at about **15–20°** to the stone. A trick: 90° is upright, half is 45°, half again is about 22° — then lower slightly.
3. **Sharpen the first side.** With light, even pressure, push the blade across the stone edge-first, sweeping from heel to tip so the whole edge makes contact. Do 10–15 strokes.
4. **Check for a burr.** Carefully feel (across, never along, the edge) for a slight rough lip on the opposite side. That means you've sharpened all the way to the edge.
5. **Repeat on the other side** with the same number of strokes and the same angle.
6. **Refine on the fine side** (6000 grit) with lighter strokes, alternating sides, to polish the edge and remove the burr.
7. **Clean and dry** the knife and let the stone air-dry.

**Test:** a sharp knife slices cleanly through a sheet of paper or a tomato skin without pressure. Between sharpenings, a few passes on a honing rod keep the edge aligned.
""",
)

P(
    "ad-salary-negotiation",
    "advice",
    "en",
    "I just got a job offer. How do I negotiate a higher salary without losing the offer?",
    r"""
Negotiating a reasonable amount, politely, very rarely costs anyone an offer — employers expect it.

**Before the conversation**
- **Research the market rate** for the role, level and city (salary surveys, industry reports, people in similar roles).
- **Decide three numbers:** your target, what you'd happily accept, and your walk-away point.

**During the conversation**
- **Start with enthusiasm:** "I'm really excited about this role and the team."
- **Anchor with a specific number, backed by reasons:** "Based on my experience with X and the market range for this position, I was hoping for something closer to 68,000."
- **Then stop talking** and let them respond.
- If base salary is fixed, **negotiate the whole package:** signing bonus, extra holiday, remote days, training budget, an earlier salary review.

**Things to avoid**
- Don't lie about competing offers.
- Don't apologise or over-explain.
- Don't accept or reject on the spot — "Thank you, can I get back to you by Thursday?" is perfectly normal.

Finally, **get the final offer in writing** before you resign from your current job.
""",
)

P(
    "ad-procrastination",
    "advice",
    "en",
    "I keep procrastinating on big projects. How can I actually get started?",
    r"""
Procrastination is usually less about laziness and more about a task feeling **vague, big or unpleasant**. So make it smaller and clearer.

1. **Define the very next physical action.** Not "write report" but "open a document and write three headings." Your brain resists fuzzy tasks.
2. **Use a tiny time box.** Set a timer for 10–25 minutes and allow yourself to stop afterwards. Starting is the hardest part; you'll often keep going.
3. **Lower the bar for the first draft.** Give yourself permission to do it badly first. Editing is easier than creating.
4. **Schedule it** like an appointment, ideally at your highest-energy time of day.
5. **Remove friction:** phone in another room, website blocker on, the files you need already open.
6. **Create accountability:** tell someone what you'll have done by Friday, or work alongside a friend.
7. **Track visible progress**, such as a checklist of milestones you get to cross off.

If procrastination is constant and paired with low mood or anxiety, it's worth talking to a doctor or therapist, because it can be a symptom rather than a habit.
""",
)

P(
    "ad-yellow-leaves",
    "advice",
    "en",
    "My houseplant's leaves are turning yellow. What could be wrong?",
    r"""
Yellow leaves are a symptom with several possible causes. Check them in this order:

1. **Overwatering (most common)** — the soil stays wet, leaves yellow and go soft, lower leaves first, and sometimes there's a musty smell. **Fix:** let the top 2–3 cm of soil dry out before watering, and make sure the pot has drainage holes.
2. **Underwatering** — the soil is bone dry, and leaves are yellow *and* crispy or curling. **Fix:** water thoroughly until it drains from the bottom, then keep a regular schedule.
3. **Not enough light** — slow, leggy growth with pale leaves. **Fix:** move the plant closer to a bright window (though most houseplants don't like harsh direct afternoon sun).
4. **Nutrient deficiency** — older leaves yellow evenly while veins may stay green. **Fix:** feed with a balanced houseplant fertiliser during the growing season (spring–summer).
5. **Natural ageing** — if just one or two of the oldest bottom leaves yellow occasionally while new growth looks healthy, that's normal.
6. **Pests** — check under leaves for tiny webs, white fluffy spots or sticky residue (spider mites, mealybugs).

**Quick diagnosis:** push a finger into the soil. Wet → overwatering; dry → underwatering. That alone solves most cases.
""",
)

P(
    "ad-start-running",
    "advice",
    "en",
    "I want to start running. How should a complete beginner begin?",
    r"""
The key is to **start slower than you think you need to** — most beginners quit because they do too much too soon.

**Weeks 1–3: run/walk intervals**
- 3 sessions per week, with a rest day in between.
- Warm up by walking briskly for 5 minutes.
- Alternate **1 minute of easy running with 2 minutes of walking**, 8 times.

**Weeks 4–8: build up gradually**
- Lengthen the running intervals (2 min, then 3, 5, 8…) and shorten the walks.
- Increase total weekly time by no more than about 10% per week.
- A realistic goal is **30 minutes of continuous running after about 8–9 weeks** (the idea behind "couch to 5K" plans).

**Tips**
- **Run at a conversational pace** — you should be able to speak in full sentences. If you can't, slow down.
- Get **proper running shoes** fitted at a specialist shop; it's the only equipment that really matters.
- Some muscle soreness is normal, but **sharp or persistent pain** is a signal to rest.
- If you have a heart condition, are very overweight, or haven't exercised in years, check with your doctor first.
""",
)

P(
    "ad-coworker-interrupting",
    "advice",
    "en",
    "How do I tell a coworker that their habit of interrupting me in meetings bothers me?",
    r"""
Talk to them **privately, soon, and about the behaviour, not their personality**. Most habitual interrupters don't realise they're doing it.

**1. Pick the right moment.** A quick one-to-one chat or call, not in front of others and not right after a tense meeting.

**2. Use a simple structure: observation → impact → request.**

> "Hey, can I mention something small? In the last couple of meetings I've been cut off before finishing my point — for example, during the budget discussion on Tuesday. It makes it hard for me to get my ideas across. Could you let me finish before jumping in? I'll do the same for you."

**3. Assume good intent and listen.** They may be enthusiastic, under time pressure, or simply unaware.

**4. In meetings, hold your ground calmly:** "I'd just like to finish my thought, then I'd love to hear yours." Said in a friendly tone, it works and sets a norm for everyone.

**5. Escalate only if needed.** If it continues after a direct conversation, ask the meeting lead to structure turns, or raise it with your manager.
""",
)

P(
    "ad-laptop-programming",
    "advice",
    "en",
    "What should I look for when buying a laptop for programming?",
    r"""
Prioritise the parts you can't upgrade later and that you interact with every day.

**Core specs**
- **RAM:** 16 GB minimum; 32 GB if you run Docker, virtual machines, Android emulators or local ML models.
- **CPU:** any recent mid-to-high-end chip (Apple M-series, AMD Ryzen 7, Intel Core Ultra 7/i7) is plenty for most development.
- **Storage:** an SSD of at least 512 GB; 1 TB if you work with containers, large repositories or datasets.
- **GPU:** only important for game development or local machine learning (then NVIDIA with CUDA is the usual choice).

**Everyday comfort — often underrated**
- **Keyboard:** you'll type on it for hours, so try it in person if you can.
- **Screen:** at least 14″, 1920×1200 or higher, matte if you work near windows.
- **Battery life** and **weight** if you work away from a desk.
- **Ports:** enough USB-C/Thunderbolt for an external monitor and peripherals.

**Operating system**
- **macOS:** Unix-based, excellent battery life, required for iOS development.
- **Linux:** closest to most servers and fully customisable; check hardware compatibility first.
- **Windows:** fine for most work, especially with **WSL2** for a Linux environment; required for some .NET and game development workflows.
""",
)

P(
    "ad-passwords",
    "advice",
    "en",
    "How should I manage my passwords safely?",
    r"""
1. **Use a password manager.** It generates and remembers a long, random, unique password for every site. Well-regarded options include Bitwarden, 1Password, KeePassXC and the managers built into Apple, Google and Firefox.
2. **Never reuse passwords.** When one site is breached, attackers try the same email and password everywhere else ("credential stuffing").
3. **Protect the manager with a strong master passphrase** — for example four or five random words (`copper-lantern-meadow-violin`). It's long, memorable and hard to guess.
4. **Turn on two-factor authentication (2FA)**, starting with your email, bank and password manager. Prefer an authenticator app or a hardware key over SMS codes.
5. **Use passkeys where offered** — they're resistant to phishing and you don't have to remember anything.
6. **Secure your email account especially well**, since it can be used to reset everything else.
7. **Check for breaches** with a service such as Have I Been Pwned, and change any password that appears.

Store your recovery codes somewhere safe offline (for example printed in a drawer), so losing your phone doesn't lock you out.
""",
)

P(
    "ad-new-city-friends",
    "advice",
    "en",
    "I just moved to a new city where I don't know anyone. How can I make friends?",
    r"""
Friendships grow from **repeated contact** with the same people, so aim for regular activities rather than one-off events.

1. **Join something weekly:** a sports club, running group, choir, climbing gym, language exchange or volunteer group. Seeing the same faces every week does most of the work.
2. **Pick activities with built-in conversation:** board-game cafés, pub quizzes, cooking classes and team sports are easier than cinemas or gyms.
3. **Use apps designed for it:** Meetup, Bumble BFF, or local groups on social media for newcomers and expats.
4. **Say yes to invitations**, especially early on — from colleagues, neighbours, friends of friends.
5. **Be the one who follows up.** After a good conversation, suggest something concrete: "A few of us are getting coffee after the session next week — want to join?"
6. **Reconnect with loose ties:** ask friends back home whether they know anyone in your new city.

**Be patient with yourself.** Research suggests it takes many hours of shared time to go from acquaintance to close friend. Feeling lonely in the first months is normal and doesn't mean you're doing it wrong.
""",
)

P(
    "fr-ad-teletravail",
    "advice",
    "fr",
    "Comment rester productif en télétravail ?",
    r"""
Voici les habitudes qui font vraiment la différence :

1. **Un espace dédié** — même un petit coin de table réservé au travail aide le cerveau à « entrer au bureau ». Évitez de travailler depuis le lit.
2. **Des horaires fixes** — commencez et terminez à heure régulière, avec un petit rituel (s'habiller, faire un tour du pâté de maisons) pour marquer le début et la fin de la journée.
3. **Planifier la veille** — notez les **trois priorités** du lendemain avant de fermer l'ordinateur.
4. **Travailler par blocs** — 50 minutes concentré, 10 minutes de pause (ou la méthode Pomodoro, 25/5). Coupez les notifications pendant les blocs.
5. **Bouger** — levez-vous toutes les heures, sortez à la pause déjeuner : la lumière du jour aide aussi à mieux dormir.
6. **Garder le contact** — un appel vidéo rapide vaut souvent mieux qu'un long fil de messages, et un café virtuel avec les collègues limite l'isolement.
7. **Savoir déconnecter** — éteignez l'ordinateur et les notifications professionnelles le soir.
""",
    en=r"""
Keep a dedicated workspace and fixed hours, plan your three priorities the evening before, work in focused blocks with notifications off, take regular movement breaks outside, stay in touch with colleagues by quick calls, and switch off work notifications in the evening.
""",
)

P(
    "fr-ad-stress-examen",
    "advice",
    "fr",
    "Comment gérer le stress avant un examen ?",
    r"""
Un peu de stress est normal, et même utile : il mobilise l'attention. L'objectif est de l'empêcher de devenir paralysant.

**Les jours précédents**
- **Révisez activement** : faites des exercices et des annales, récitez à voix haute. Se tester est plus efficace et plus rassurant que relire.
- **Planifiez** vos révisions pour éviter la panique de dernière minute.
- **Dormez** : le sommeil consolide la mémoire. Une nuit blanche fait plus de mal que de bien.

**La veille**
- Révision légère seulement, puis une activité agréable.
- Préparez vos affaires (convocation, pièce d'identité, stylos, eau).

**Le jour J**
- Mangez normalement et arrivez en avance.
- **Respiration** : inspirez sur 4 secondes, expirez lentement sur 6, pendant 2 minutes. Cela calme réellement le rythme cardiaque.
- Lisez tout le sujet, commencez par ce que vous maîtrisez, et passez à la suite si vous bloquez.

Si le stress vous empêche de dormir ou de manger pendant plusieurs jours, parlez-en à un médecin ou au service de santé de votre établissement.
""",
    en=r"""
Revise actively with practice questions rather than rereading, plan your revision, and protect your sleep. Keep the evening before light and prepare your things. On the day, eat normally, arrive early, use slow breathing (in for 4 seconds, out for 6), and start with the questions you know best. If stress stops you sleeping or eating for days, talk to a doctor.
""",
)

P(
    "fr-ad-economiser",
    "advice",
    "fr",
    "Comment économiser de l'argent chaque mois avec un petit salaire ?",
    r"""
Avec un petit budget, ce sont les **petites habitudes automatiques** qui font la différence.

1. **Épargnez d'abord** : programmez un virement automatique le jour de la paie, même de 20 ou 30 €. Ce qui n'est pas sur le compte courant ne se dépense pas.
2. **Suivez vos dépenses un mois** pour voir où part l'argent (une application bancaire ou un simple carnet).
3. **Renégociez les frais fixes** : forfait mobile, box internet, assurances, abonnements inutilisés. C'est souvent plusieurs dizaines d'euros par mois, sans effort ensuite.
4. **Alimentation** : faites une liste de courses, cuisinez en grande quantité, emportez votre déjeuner, privilégiez les marques de distributeur.
5. **Règle des 48 heures** pour tout achat non essentiel : si l'envie est passée, vous économisez.
6. **Vérifiez vos droits** : aides au logement, prime d'activité, tarifs sociaux de transport… Beaucoup de personnes n'y pensent pas.
7. **Constituez une petite épargne de précaution** (idéalement un mois de dépenses, sur un livret disponible) pour éviter les découverts et leurs frais.
""",
    en=r"""
Pay yourself first with a small automatic transfer on payday, track spending for a month, renegotiate fixed costs (phone, internet, insurance, subscriptions), plan meals and shop with a list, wait 48 hours before non-essential purchases, check which benefits you're entitled to, and build a small emergency fund to avoid overdraft fees.
""",
)

P(
    "fr-ad-omelette",
    "advice",
    "fr",
    "Comment réussir une omelette baveuse ?",
    r"""
Le secret : **feu moyen, beurre, et retirer la poêle avant que ce soit cuit**.

**Pour 1 personne :** 3 œufs, une noisette de beurre, sel, poivre.

1. **Battez les œufs** à la fourchette avec une pincée de sel, juste assez pour mélanger blancs et jaunes (inutile de les faire mousser).
2. **Faites fondre le beurre** dans une poêle antiadhésive de 20–22 cm, à **feu moyen**, jusqu'à ce qu'il mousse sans brunir.
3. **Versez les œufs** et remuez aussitôt avec une spatule en ramenant les bords vers le centre, tout en secouant la poêle, pendant 20 à 30 secondes.
4. **Arrêtez de remuer** quand les œufs sont pris dessous mais encore crémeux et brillants dessus.
5. **Pliez l'omelette** en deux ou en trois et faites-la glisser dans l'assiette. Elle continue à cuire avec sa propre chaleur.

**Erreur fréquente :** un feu trop fort, qui rend l'omelette sèche et caoutchouteuse. Au total, la cuisson ne dure qu'**environ une minute**.
""",
    en=r"""
Beat 3 eggs with a pinch of salt, melt butter in a non-stick pan over **medium** heat, pour in the eggs and stir constantly for 20–30 seconds while shaking the pan. Stop while the top is still creamy and glossy, fold, and slide it onto the plate — it keeps cooking from its own heat. The whole cooking takes about a minute; too much heat makes it rubbery.
""",
)

P(
    "es-ad-concentracion",
    "advice",
    "es",
    "¿Cómo puedo mejorar mi concentración cuando estudio?",
    r"""
La concentración mejora sobre todo **quitando distracciones y trabajando por bloques**.

1. **Móvil fuera de la vista**, en otra habitación o en modo «no molestar». Solo tenerlo sobre la mesa ya resta atención.
2. **Bloques de tiempo:** 25–50 minutos de estudio y 5–10 de descanso (técnica Pomodoro). En el descanso, levántate y muévete.
3. **Un objetivo concreto por bloque:** «hacer los ejercicios 3 a 6», no «estudiar matemáticas».
4. **Estudio activo:** hazte preguntas, resume sin mirar, explica el tema en voz alta. Releer y subrayar es cómodo pero poco eficaz.
5. **Un lugar fijo y ordenado**, con buena luz y todo el material a mano.
6. **Cuida lo básico:** dormir 7–9 horas, beber agua y hacer algo de ejercicio mejoran la atención de forma notable.
7. **Empieza por lo difícil** cuando tengas más energía, normalmente por la mañana.
""",
    en=r"""
Put your phone out of sight, study in 25–50 minute blocks with short breaks, set a concrete goal for each block, use active recall (quiz yourself, explain out loud) instead of rereading, keep a fixed tidy study spot, sleep 7–9 hours, and tackle the hardest material when your energy is highest.
""",
)


# ===========================================================================
# WRITING (rewriting / editing tasks)
# ===========================================================================

P(
    "wr-polite-decline",
    "writing",
    "en",
    'Rewrite this more politely: "I can\'t come to your meeting, I have better things to do."',
    r"""
Here are a few options, depending on the tone you need:

- **Neutral:** "Unfortunately I won't be able to attend the meeting, as I have a prior commitment. Could you share the notes or key decisions afterwards?"
- **Warm:** "Thanks for the invite! I'm tied up with another deadline at that time, so I can't make it — but I'd love to hear how it goes."
- **Formal:** "Thank you for the invitation. Regrettably, I am unable to attend due to a scheduling conflict. Please let me know if there is anything you need from me in advance."

All three keep your message (you're not coming) while removing the implication that the meeting isn't worth your time.
""",
    short='"Unfortunately I won\'t be able to attend the meeting because of a prior commitment — could you share the notes afterwards?"',
)

P(
    "wr-summarize-bees",
    "writing",
    "en",
    'Summarize this paragraph in one sentence: "Honeybees are responsible for pollinating a large share of the crops we eat, from apples and almonds to coffee. In recent decades, beekeepers in many countries have reported unusually high colony losses. Researchers point to a combination of factors, including parasites such as the varroa mite, pesticide exposure, poor nutrition caused by the loss of wildflower habitat, and extreme weather. Because no single cause explains the decline, experts argue that solutions must also combine several approaches."',
    r"""
**Honeybees, which pollinate many of our crops, are dying at unusually high rates because of several combined pressures — parasites, pesticides, habitat loss and extreme weather — so experts say the response must tackle all of them together.**
""",
)

P(
    "wr-landlord-heating",
    "writing",
    "en",
    "Write a short, firm but polite email to my landlord asking him to fix the heating, which has been broken for a week.",
    r"""
**Subject:** Heating not working since [date] — repair needed

Dear Mr. [Surname],

I'm writing to let you know that the heating in my flat at [address] has not been working since [date], a week ago today. With the current temperatures, the flat has become very cold and difficult to live in.

Could you please arrange for a repair as soon as possible, and let me know by [day] when a technician will be able to come? I'm available [times] and happy to give access.

Thank you for your help. I look forward to hearing from you.

Kind regards,
[Your name]
[Phone number]

**Tip:** keep a copy of this email. Sending the request in writing creates a dated record, which matters if the repair is delayed.
""",
)

P(
    "wr-linkedin-headline",
    "writing",
    "en",
    'Improve this LinkedIn headline: "Guy who does computers at a company".',
    r"""
Your headline should say **what you do, for whom, and what you're good at**. I don't know your exact role, so here are options for different IT profiles — pick the closest and adjust:

1. **IT Support Specialist | Keeping 300+ users productive | Windows, Microsoft 365 & Networking**
2. **Software Developer | Python & JavaScript | Building internal tools that save teams time**
3. **Systems Administrator | Linux, Cloud & Automation | Reliable infrastructure for growing businesses**
4. **Data Analyst | SQL, Power BI | Turning messy data into clear decisions**

**Why these work:**
- A recognisable **job title** first (that's what recruiters search for).
- **Key skills** as searchable keywords.
- A **concrete value or number** that shows impact.

If you tell me your actual role and main skills, I can tailor one for you.
""",
    short='Try: "Software Developer | Python & JavaScript | Building tools that save teams time" — swap in your real title and top skills.',
)

P(
    "wr-fix-grammar",
    "writing",
    "en",
    'Fix the grammar: "Me and him goes to the store yesterday and buyed three apple."',
    r"""
**Corrected:** "He and I went to the store yesterday and bought three apples."

**What changed:**

1. **"Me and him" → "He and I"** — they are the subject of the sentence, so use subject pronouns, and by convention the speaker goes last.
2. **"goes" → "went"** — "yesterday" requires the past tense.
3. **"buyed" → "bought"** — *buy* is an irregular verb.
4. **"three apple" → "three apples"** — plural noun after a number greater than one.
""",
    short='"He and I went to the store yesterday and bought three apples."',
)

P(
    "wr-plain-english",
    "writing",
    "en",
    'Rewrite this in plain English: "Pursuant to the aforementioned stipulations, remuneration shall be disbursed upon the satisfactory completion of all deliverables."',
    r"""
**Plain English:** "As agreed above, you'll be paid once all the work has been completed to a satisfactory standard."

Or even shorter: **"We'll pay you when the work is done, as agreed."**

**What was simplified:**

- *Pursuant to the aforementioned stipulations* → "as agreed" / "under the terms above"
- *remuneration shall be disbursed* → "you'll be paid"
- *upon the satisfactory completion of all deliverables* → "once all the work is done properly"

In a real contract, keep the word "satisfactory" (or define who decides what's satisfactory), because it changes the meaning: payment depends on quality, not just delivery.
""",
    short='"You\'ll be paid once all the work has been completed satisfactorily, as agreed."',
)

P(
    "wr-cover-letter",
    "writing",
    "en",
    "Write an opening paragraph for a cover letter for a junior data analyst position at a retail company.",
    r"""
Dear Hiring Team,

When I analysed two years of sales data for my university capstone project, I discovered that a handful of slow-moving products were taking up almost a fifth of the shelf space in our partner store — and that recommendation ended up changing their summer layout. That moment of turning numbers into a decision people could act on is exactly why I'm applying for the Junior Data Analyst position at [Company]. With a solid foundation in SQL, Python and Excel, hands-on experience building dashboards in Power BI, and a genuine curiosity about how customers shop, I'm excited by the opportunity to help your team understand sales and inventory trends across your stores.

**Tip:** replace the example with a real project of your own — a specific, concrete story in the first sentence is what makes a reader keep going.
""",
)

P(
    "wr-late-order-apology",
    "writing",
    "en",
    "Write a short apology message to a customer whose order arrived two weeks late.",
    r"""
**Subject:** We're sorry your order arrived late

Dear [Customer name],

Thank you for your patience, and I'm truly sorry that your order #[number] arrived two weeks later than promised. That's not the experience we want for you.

The delay was caused by [brief, honest reason — e.g. a problem with our delivery partner], and we've since [what you changed] to stop it from happening again.

As an apology, we've [refunded your shipping costs / added a 15% discount code to your account: **SORRY15**]. If anything in your order isn't right, just reply to this email and we'll fix it straight away.

Thank you for sticking with us.

Warm regards,
[Name]
[Company] Customer Care
""",
)

P(
    "wr-meeting-notes",
    "writing",
    "en",
    'Turn these rough notes into a clear meeting summary: "launch moved to 12 may bc payment bug. tom fixes bug by fri. marketing email delayed, ana to reschedule. need legal ok on new T&Cs - who? budget ok\'d for 2 contractors"',
    r"""
**Meeting summary**

**Decisions**
- The product launch is **moved to 12 May** because of an open payment bug.
- Budget has been **approved for two contractors**.

**Action items**

| Owner | Action | Due |
|---|---|---|
| Tom | Fix the payment bug | Friday |
| Ana | Reschedule the marketing email to match the new launch date | Before launch |
| **Unassigned** | Get legal approval for the new Terms & Conditions | Before launch |

**Open question**
- Who will take the legal review of the new T&Cs? An owner is needed — please reply if you can take it on.
""",
)

P(
    "wr-make-shorter",
    "writing",
    "en",
    'Make this shorter without losing meaning: "In order to be able to make sure that we are able to deliver the project on time, it is absolutely essential and necessary that every single member of the team submits their individual part of the work no later than the date of Friday."',
    r"""
**"To deliver the project on time, everyone must submit their part by Friday."**

That cuts it from 45 words to 13. What was removed:

- *In order to be able to make sure that we are able to* → "To"
- *absolutely essential and necessary* → "must" (the three words all mean the same thing)
- *every single member of the team … their individual part of the work* → "everyone … their part"
- *no later than the date of Friday* → "by Friday"
""",
    short='"To deliver the project on time, everyone must submit their part by Friday."',
)

P(
    "wr-designer-bio",
    "writing",
    "en",
    "Write a 3-sentence professional bio for a freelance graphic designer named Lena who specialises in branding for small restaurants.",
    r"""
Lena is a freelance graphic designer who helps independent restaurants, cafés and food trucks build brands as memorable as their menus. From logos and signage to menus, packaging and social media visuals, she creates identities that capture each venue's personality and make it easy for guests to recognise and recommend. Having worked with more than 40 small food businesses, Lena combines a designer's eye with a practical understanding of how restaurants actually run — and she still believes the best briefings happen over a good plate of food.
""",
)

P(
    "wr-active-voice",
    "writing",
    "en",
    'Convert this to active voice: "The report was written by the intern, and mistakes were made in the figures."',
    r"""
**Active voice:** "The intern wrote the report and made mistakes in the figures."

**Notes:**

- In the first clause the agent ("by the intern") is explicit, so it simply becomes the subject.
- The second clause, "mistakes were made", doesn't say **who** made the mistakes. Attributing them to the intern is the most natural reading, but it's an assumption — if someone else prepared the figures, name them instead, e.g. "The intern wrote the report, and the finance team made mistakes in the figures."

"Mistakes were made" is a classic way to avoid responsibility; active voice forces you to say who did what.
""",
    short='"The intern wrote the report and made mistakes in the figures."',
)

P(
    "fr-wr-message-formel",
    "writing",
    "fr",
    "Rends ce message plus formel : « Salut, je peux pas venir lundi, on décale ? »",
    r"""
**Version formelle :**

> Bonjour,
>
> Je suis au regret de vous informer que je ne pourrai pas être disponible lundi. Serait-il possible de reporter notre rendez-vous à une date ultérieure ? Je reste disponible mardi ou jeudi, selon ce qui vous conviendrait le mieux.
>
> Je vous prie de m'excuser pour ce contretemps.
>
> Bien cordialement,
> [Prénom Nom]

**Ce qui a changé :**

- « Salut » → « Bonjour » et vouvoiement.
- La négation complète : « je **ne** pourrai **pas** ».
- « on décale ? » devient une demande polie, avec **des créneaux proposés**, ce qui facilite la réponse.
- Une formule de politesse pour conclure.
""",
    short="« Bonjour, je ne pourrai malheureusement pas être disponible lundi. Serait-il possible de reporter notre rendez-vous ? Bien cordialement. »",
    en=r"""
A more formal version: "Hello, unfortunately I won't be available on Monday. Would it be possible to postpone our meeting? I am available on Tuesday or Thursday, whichever suits you best. Apologies for the inconvenience. Kind regards, [Name]"
""",
)

P(
    "fr-wr-resume-velo",
    "writing",
    "fr",
    "Résume ce texte en une phrase : « Depuis quelques années, de nombreuses villes européennes développent les pistes cyclables. Les élus y voient un moyen de réduire les embouteillages et la pollution de l'air, tandis que les habitants apprécient un mode de déplacement bon marché et bon pour la santé. Toutefois, certains commerçants craignent que la suppression de places de stationnement fasse fuir leurs clients, et les cyclistes réclament encore des aménagements plus sûrs. »",
    r"""
**Les villes européennes multiplient les pistes cyclables pour réduire embouteillages et pollution, ce que les habitants apprécient, même si des commerçants s'inquiètent de la perte de stationnement et que les cyclistes demandent plus de sécurité.**
""",
    en=r"""
European cities are building more bike lanes to cut congestion and pollution, which residents welcome, although some shopkeepers fear losing parking and cyclists still want safer infrastructure.
""",
)

P(
    "fr-wr-corriger",
    "writing",
    "fr",
    "Corrige les fautes : « Hier, je suis allé au marché et j'ai acheter des pommes qui était trop mûr. »",
    r"""
**Phrase corrigée :** « Hier, je suis allé au marché et j'ai acheté des pommes qui étaient trop mûres. »

**Les corrections :**

1. **acheter → acheté** : après l'auxiliaire *avoir*, on emploie le participe passé. Astuce : remplacez par un verbe du 3ᵉ groupe, « j'ai *vendu* » (et non « j'ai vendre »).
2. **était → étaient** : le sujet de « qui » est « des pommes », au pluriel.
3. **mûr → mûres** : l'adjectif s'accorde avec « pommes », féminin pluriel.
""",
    short="« Hier, je suis allé au marché et j'ai acheté des pommes qui étaient trop mûres. »",
    en=r"""
Corrected: « Hier, je suis allé au marché et j'ai acheté des pommes qui étaient trop mûres. » — "acheter" must be the past participle "acheté" after "ai", and "était"/"mûr" must agree with the feminine plural "pommes".
""",
)

P(
    "es-wr-correo-profesional",
    "writing",
    "es",
    "Reescribe este mensaje de forma más profesional: «Oye, ¿me mandas el informe ya? Lo necesito.»",
    r"""
**Versión profesional:**

> Hola, [nombre]:
>
> ¿Podrías enviarme el informe cuando te sea posible? Lo necesito para preparar la reunión del [día], así que me sería de gran ayuda tenerlo antes del [hora/fecha].
>
> ¡Muchas gracias!
>
> Un saludo,
> [Tu nombre]

**Qué ha cambiado:**

- Un saludo en lugar de «Oye».
- La petición se formula con el condicional («¿Podrías…?»), que suena más cortés.
- Se explica **por qué** se necesita y se da **un plazo concreto**, en vez de «ya».
- Se añade un agradecimiento y una despedida.
""",
    short="«Hola, ¿podrías enviarme el informe cuando puedas? Lo necesito antes del [día] para preparar la reunión. ¡Gracias!»",
    en=r"""
A more professional version: "Hi [name], could you send me the report when you get a chance? I need it to prepare for [day]'s meeting, so it would be a great help to have it by [time]. Thanks a lot! Best regards, [Your name]"
""",
)


# ===========================================================================
# INDONESIAN (Bahasa Indonesia), every category
#   Kept in a section of its own, after the others: the prompts and answers of
#   the other languages keep their order (and content) in demo.json.
# ===========================================================================

P(
    "id-py-hitung-kata",
    "coding",
    "id",
    "Bagaimana cara menghitung berapa kali setiap kata muncul dalam sebuah teks dengan Python?",
    r"""
Cara paling ringkas adalah memakai `collections.Counter`:

```python
from collections import Counter

teks = "saya suka kopi dan saya suka teh"
jumlah = Counter(teks.lower().split())

print(jumlah["saya"])         # 2
print(jumlah.most_common(2))  # [('saya', 2), ('suka', 2)]
```

**Cara kerjanya:**

- `teks.lower()` menyeragamkan huruf besar dan kecil, sehingga "Saya" dan "saya" dihitung sebagai kata yang sama.
- `split()` memecah teks menjadi daftar kata berdasarkan spasi.
- `Counter` menghitung kemunculan setiap elemen dan bisa dipakai seperti dictionary biasa.
- `most_common(n)` mengembalikan *n* kata yang paling sering muncul, dari yang terbanyak.

**Catatan:** tanda baca ikut menempel pada kata, sehingga "kopi," dan "kopi" dianggap berbeda. Untuk teks sungguhan, ambil kata-katanya dengan ekspresi reguler: `re.findall(r"\w+", teks.lower())`.
""",
    bug=[("jumlah = Counter(teks.lower().split())", "jumlah = Counter(teks.lower())")],
    en=r"""
Use `collections.Counter` on the lower-cased words:

{code}

`most_common(n)` returns the n most frequent words.
""",
    short="`Counter(teks.lower().split())` dari modul `collections`, lalu `most_common()` untuk kata yang paling sering muncul.",
)

P(
    "id-js-map-filter-reduce",
    "coding",
    "id",
    "Apa perbedaan antara map, filter, dan reduce di JavaScript? Tolong beri contoh sederhana.",
    r"""
Ketiganya adalah method array yang **tidak mengubah array aslinya**, tetapi tujuannya berbeda:

```javascript
const harga = [12000, 45000, 8000, 30000];

// map: ubah setiap elemen, hasilnya array baru dengan panjang yang sama
const denganPajak = harga.map((h) => h * 1.11);

// filter: saring elemen, hasilnya array baru yang bisa lebih pendek
const mahal = harga.filter((h) => h > 20000); // [45000, 30000]

// reduce: gabungkan semua elemen menjadi satu nilai
const total = harga.reduce((jumlah, h) => jumlah + h, 0); // 95000
```

- **`map`** menjalankan fungsi pada setiap elemen dan mengembalikan array baru yang panjangnya sama.
- **`filter`** hanya menyimpan elemen yang membuat fungsinya bernilai `true`.
- **`reduce`** "melipat" array menjadi satu nilai: jumlah, objek, string, dan sebagainya. Selalu berikan nilai awal (di sini `0`) agar tidak terjadi error pada array kosong.

Ketiganya bisa dirangkai: `harga.filter((h) => h > 20000).reduce((a, h) => a + h, 0)` menghasilkan `75000`.
""",
    bug=[
        (
            "const mahal = harga.filter((h) => h > 20000); // [45000, 30000]",
            "const mahal = harga.map((h) => h > 20000); // [45000, 30000]",
        )
    ],
    en=r"""
`map` transforms every element (same length), `filter` keeps the elements that pass a test, and `reduce` folds the array into a single value:

{code}

None of them modifies the original array.
""",
)

P(
    "id-sql-inner-left-join",
    "coding",
    "id",
    "Apa bedanya INNER JOIN dan LEFT JOIN di SQL? Kapan saya harus memakai masing-masing?",
    r"""
**`INNER JOIN` hanya mengembalikan baris yang punya pasangan di kedua tabel, sedangkan `LEFT JOIN` mengembalikan semua baris dari tabel kiri dan mengisi kolom tabel kanan dengan `NULL` jika tidak ada pasangannya.**

```sql
-- Semua pelanggan beserta jumlah pesanannya, termasuk yang belum pernah memesan
SELECT p.nama, COUNT(o.id) AS jumlah_pesanan
FROM pelanggan p
LEFT JOIN pesanan o ON o.pelanggan_id = p.id
GROUP BY p.id, p.nama;
```

Dengan `INNER JOIN`, pelanggan yang belum pernah memesan akan **hilang** dari hasil. Dengan `LEFT JOIN`, mereka tetap muncul dengan `jumlah_pesanan = 0`. Perhatikan bahwa yang dihitung adalah `COUNT(o.id)`, bukan `COUNT(*)`, supaya baris `NULL` tidak ikut terhitung.

**Kapan memakai yang mana:**

- `INNER JOIN` jika Anda hanya butuh data yang ada di kedua tabel, misalnya pesanan beserta nama pelanggannya.
- `LEFT JOIN` jika semua baris tabel utama harus tetap muncul, misalnya laporan semua pelanggan, termasuk yang belum aktif.

**Jebakan umum:** syarat untuk tabel kanan yang ditaruh di `WHERE` (misalnya `WHERE o.status = 'lunas'`) diam-diam mengubah `LEFT JOIN` menjadi `INNER JOIN`, karena baris `NULL` ikut tersaring. Taruh syarat seperti itu di klausa `ON`.
""",
    bug=[
        (
            "SELECT p.nama, COUNT(o.id) AS jumlah_pesanan",
            "SELECT p.nama, COUNT(*) AS jumlah_pesanan",
        )
    ],
    en=r"""
`INNER JOIN` keeps only rows that have a match in both tables; `LEFT JOIN` keeps every row of the left table and fills the right table's columns with `NULL` when there is no match:

{code}

Count `o.id`, not `*`, so that customers without orders get 0.
""",
    short="`INNER JOIN` hanya mengambil baris yang cocok di kedua tabel; `LEFT JOIN` mengambil semua baris tabel kiri, dengan `NULL` jika tidak ada pasangannya.",
)

P(
    "id-git-batal-commit",
    "coding",
    "id",
    "Bagaimana cara membatalkan commit terakhir di Git tanpa kehilangan perubahan yang sudah saya buat?",
    r"""
Gunakan `git reset --soft`, yang memundurkan cabang satu commit tetapi membiarkan perubahan Anda tetap ada:

```bash
git reset --soft HEAD~1
```

Setelah itu, perubahan dari commit tersebut kembali berada di *staging area*, siap diperbaiki lalu di-commit ulang.

**Pilihan lain:**

- `git reset HEAD~1` (mode bawaan, `--mixed`): commit dibatalkan, perubahan tetap ada di berkas tetapi tidak lagi di-*stage*.
- `git commit --amend`: jika Anda hanya ingin memperbaiki pesan commit atau menambahkan berkas yang terlupa.
- `git reset --hard HEAD~1` **menghapus** perubahan itu sepenuhnya, jadi jangan dipakai jika Anda ingin menyimpannya.

**Penting:** jika commit itu sudah di-*push* ke repositori bersama, jangan menulis ulang riwayatnya. Pakai `git revert HEAD`, yang membuat commit baru untuk membatalkan perubahan tersebut.
""",
    bug=[("git reset --soft HEAD~1\n```", "git reset --hard HEAD~1\n```")],
    en=r"""
Use a soft reset: it moves the branch back one commit and keeps your changes staged:

{code}

If the commit was already pushed, use `git revert HEAD` instead of rewriting history.
""",
)

P(
    "id-math-diskon-bertingkat",
    "math",
    "id",
    "Sebuah baju seharga Rp200.000 mendapat diskon 25%, lalu diskon tambahan 10% dari harga setelah diskon pertama. Berapa harga akhirnya?",
    r"""
Harga akhirnya **Rp135.000**.

Diskon bertingkat dihitung **satu per satu**, bukan dijumlahkan:

- Setelah diskon 25%: Rp200.000 × 0,75 = **Rp150.000**
- Setelah diskon tambahan 10%: Rp150.000 × 0,90 = **Rp135.000**

Jadi total potongannya Rp65.000, atau **32,5%** dari harga awal, bukan 35%, karena diskon kedua dihitung dari harga yang sudah turun.
""",
    wrong=r"""
Harga akhirnya **Rp130.000**.

Diskonnya 25% + 10% = 35%, dan 35% dari Rp200.000 adalah Rp70.000, jadi harganya Rp200.000 − Rp70.000 = Rp130.000.
""",
    en=r"""
The final price is **Rp135,000**. Apply the discounts one after the other: 200,000 × 0.75 = 150,000, then 150,000 × 0.90 = 135,000, a total discount of 32.5%, not 35%.
""",
)

P(
    "id-math-bunga-majemuk",
    "math",
    "id",
    "Saya menabung Rp10.000.000 di bank dengan bunga 5% per tahun yang dibungakan kembali setiap tahun. Berapa saldo saya setelah 3 tahun?",
    r"""
Saldo Anda setelah 3 tahun adalah **Rp11.576.250** (sebelum dipotong pajak bunga).

Karena bunganya dibungakan kembali (**bunga majemuk**), bunga setiap tahun dihitung dari saldo yang sudah bertambah:

- Tahun 1: Rp10.000.000 × 1,05 = **Rp10.500.000**
- Tahun 2: Rp10.500.000 × 1,05 = **Rp11.025.000**
- Tahun 3: Rp11.025.000 × 1,05 = **Rp11.576.250**

Rumus umumnya: saldo = modal × (1 + r)ⁿ = 10.000.000 × 1,05³ = 10.000.000 × 1,157625.

Dengan bunga tunggal (tanpa dibungakan kembali), hasilnya hanya Rp11.500.000; selisih Rp76.250 itu adalah "bunga atas bunga".
""",
    wrong=r"""
Saldo Anda menjadi **Rp11.500.000**.

Bunganya 5% × Rp10.000.000 = Rp500.000 per tahun, jadi selama 3 tahun bunganya Rp1.500.000, dan saldo menjadi Rp11.500.000.
""",
    en=r"""
About **Rp11,576,250**. With interest compounded yearly: 10,000,000 × 1.05³ = 10,000,000 × 1.157625 = 11,576,250 (simple interest would give only 11,500,000).
""",
)

P(
    "id-math-kecepatan-rata-rata",
    "math",
    "id",
    "Budi berangkat dari Jakarta ke Bandung pukul 07.15 dan tiba pukul 10.00. Jarak yang ditempuhnya 165 km. Berapa kecepatan rata-ratanya?",
    r"""
Kecepatan rata-rata Budi adalah **60 km/jam**.

- Lama perjalanan: pukul 07.15 sampai 10.00 = 2 jam 45 menit = **2,75 jam** (45 menit = 45/60 jam = 0,75 jam).
- Kecepatan = jarak ÷ waktu = 165 ÷ 2,75 = **60 km/jam**.

**Jebakan:** 2 jam 45 menit **bukan** 2,45 jam. Dengan 2,45 jam hasilnya sekitar 67 km/jam, dan itu keliru.

**Periksa:** 60 km/jam × 2,75 jam = 165 km ✓
""",
    wrong=r"""
Kecepatan rata-ratanya sekitar **67 km/jam**.

Waktu tempuhnya 2 jam 45 menit, yaitu 2,45 jam, jadi 165 ÷ 2,45 ≈ 67,3 km/jam.
""",
    en=r"""
Budi's average speed is **60 km/h**: the trip takes 2 h 45 min = 2.75 h (not 2.45 h), and 165 ÷ 2.75 = 60.
""",
)

P(
    "id-math-persamaan-kuadrat",
    "math",
    "id",
    "Tolong selesaikan persamaan kuadrat x² − 5x + 6 = 0 dan jelaskan langkah-langkahnya.",
    r"""
Penyelesaiannya adalah **x = 2 atau x = 3**.

**Dengan pemfaktoran:** cari dua bilangan yang hasil kalinya 6 dan jumlahnya −5, yaitu −2 dan −3:

x² − 5x + 6 = (x − 2)(x − 3) = 0

Maka x − 2 = 0 atau x − 3 = 0, sehingga **x = 2** atau **x = 3**.

**Periksa:** 2² − 5·2 + 6 = 4 − 10 + 6 = 0 ✓ dan 3² − 5·3 + 6 = 9 − 15 + 6 = 0 ✓

Jika sulit difaktorkan, gunakan rumus ABC: x = (5 ± √(25 − 24)) / 2 = (5 ± 1) / 2, yang memberi hasil yang sama.
""",
    wrong=r"""
Penyelesaiannya adalah **x = −2 atau x = −3**.

Persamaannya difaktorkan menjadi (x + 2)(x + 3) = 0, jadi x = −2 atau x = −3.
""",
    en=r"""
**x = 2 or x = 3.** Factor it as (x − 2)(x − 3) = 0: the two numbers multiply to 6 and add up to −5.
""",
)

P(
    "id-cr-puisi-hujan",
    "creative",
    "id",
    "Tulislah puisi pendek tentang hujan sore di kampung halaman.",
    r"""
**Hujan Sore di Kampung**

Hujan turun di atap seng rumah nenek,
berderap pelan seperti langkah yang pulang;
bau tanah basah naik dari halaman,
dan ayam-ayam berteduh di kolong rumah.

Ibu menyalakan lampu lebih awal,
teh manis mengepul di meja kayu;
di luar, sawah menghijau dalam diam,
menampung rindu yang tak sempat kubawa.
""",
    en=r"""
**Afternoon Rain in the Village**

Rain drums on the tin roof of grandmother's house,
slow, like footsteps coming home;
the smell of wet earth rises from the yard,
and the hens take shelter under the house.
""",
)

P(
    "id-cr-pantun-belajar",
    "creative",
    "id",
    "Buatkan dua pantun nasihat tentang pentingnya rajin belajar.",
    r"""
**Pantun pertama**

Pergi ke pasar membeli tomat,
jangan lupa membeli kacang.
Kalau belajar dengan semangat,
cita-cita pasti kan datang.

**Pantun kedua**

Air jernih di dalam kolam,
tempat ikan berenang ria.
Rajin belajar siang dan malam,
agar kelak hidup bahagia.

Dalam setiap pantun, dua baris pertama adalah **sampiran** dan dua baris terakhir adalah **isi** (nasihatnya), dengan rima akhir a-b-a-b.
""",
    en=r"""
**First pantun**

Off to the market to buy tomatoes,
don't forget to buy some beans.
If you study with enthusiasm,
your dreams will surely come true.

**Second pantun**

Clear water in the pond,
where the fish swim happily.
Study hard day and night,
so that one day you'll live happily.
""",
)

P(
    "id-cr-cerita-kucing",
    "creative",
    "id",
    "Tuliskan cerita anak yang sangat singkat tentang seekor kucing yang takut air.",
    r"""
**Si Belang dan Hujan Pertama**

Si Belang adalah kucing kecil yang sangat takut air. Setiap kali hujan turun, ia bersembunyi di bawah lemari dan menutup telinganya dengan kedua kaki depan.

Suatu sore, hujan turun deras, dan Belang mendengar suara lirih dari halaman: seekor anak burung jatuh dari sarangnya dan menggigil kedinginan di atas rumput.

Belang gemetar. Ia menatap genangan air, lalu menatap burung kecil itu. Ia menarik napas panjang, berlari menembus hujan, dan mendorong burung itu pelan-pelan dengan hidungnya sampai ke teras yang kering.

Bulunya basah kuyup, tetapi hatinya terasa hangat. Sejak hari itu, Belang masih tidak suka air, tetapi ia tahu bahwa ia lebih berani daripada yang ia kira.

**Tamat.**
""",
    en=r"""
**Stripe and the First Rain**

Stripe was a little cat who was terribly afraid of water. One rainy afternoon he heard a baby bird that had fallen from its nest, shivering on the lawn. Trembling, Stripe ran out into the rain and gently nudged the bird with his nose all the way to the dry porch. He was soaked to the bone, but his heart felt warm: he still didn't like water, but he was braver than he had thought. **The end.**
""",
)

P(
    "id-cr-slogan-kedai-kopi",
    "creative",
    "id",
    "Buatkan tiga slogan untuk kedai kopi kecil di dekat kampus.",
    r"""
1. **"Secangkir semangat sebelum kuliah."** — cocok untuk pagi hari, menyasar mahasiswa yang butuh tenaga sebelum masuk kelas.
2. **"Tempat tugas selesai dan ide dimulai."** — menampilkan kedai sebagai tempat belajar dan berdiskusi yang nyaman.
3. **"Kopi enak, harga mahasiswa."** — singkat dan jujur, menonjolkan harga yang terjangkau.
""",
    en=r"""
1. **"A cup of energy before class."** — aimed at students who need a boost in the morning.
2. **"Where assignments get finished and ideas begin."** — presents the shop as a comfortable place to study.
3. **"Great coffee, student prices."** — short and honest about affordability.
""",
)

P(
    "id-rs-kelereng",
    "reasoning",
    "id",
    "Di dalam kantong ada 5 kelereng merah, 4 biru, dan 3 hijau. Dengan mata tertutup, berapa kelereng paling sedikit yang harus saya ambil agar pasti mendapat dua kelereng yang warnanya sama?",
    r"""
Jawabannya **4 kelereng**.

Ada **tiga warna**. Dalam kasus terburuk, tiga kelereng pertama warnanya berbeda semua: satu merah, satu biru, dan satu hijau. Kelereng keempat pasti sewarna dengan salah satunya.

Ini adalah **prinsip sarang merpati**: jika 4 benda dimasukkan ke dalam 3 kotak, setidaknya satu kotak berisi 2 benda. Banyaknya kelereng tiap warna (5, 4, dan 3) tidak berpengaruh.
""",
    wrong=r"""
Anda harus mengambil **6 kelereng**.

Kelereng merah paling banyak, yaitu 5, jadi dalam kasus terburuk Anda perlu mengambil 5 kelereng ditambah satu lagi agar pasti mendapat pasangan.
""",
    en=r"""
You need **4 marbles**. There are three colours, so in the worst case the first three are all different; the fourth must match one of them (the pigeonhole principle).
""",
)

P(
    "id-rs-umur-ayah",
    "reasoning",
    "id",
    "Umur ayah sekarang tiga kali umur anaknya. Lima belas tahun lagi, umur ayah menjadi dua kali umur anaknya. Berapa umur mereka sekarang?",
    r"""
Sekarang **anak berumur 15 tahun dan ayah berumur 45 tahun**.

Misalkan umur anak sekarang **a**, maka umur ayah **3a**. Lima belas tahun lagi:

3a + 15 = 2(a + 15)
3a + 15 = 2a + 30
**a = 15**

Jadi anak berumur 15 tahun dan ayah 3 × 15 = **45 tahun**.

**Periksa:** lima belas tahun lagi ayah berumur 60 tahun dan anak 30 tahun, dan 60 = 2 × 30 ✓
""",
    wrong=r"""
Anak berumur **10 tahun** dan ayah **30 tahun**.

Sekarang umur ayah tiga kali umur anak (30 = 3 × 10), dan karena selisih perbandingannya makin kecil seiring waktu, lima belas tahun lagi umur ayah menjadi dua kali umur anak.
""",
    en=r"""
The child is **15** and the father **45**. With the child's age a: 3a + 15 = 2(a + 15), so a = 15. Check: in 15 years they will be 60 and 30.
""",
)

P(
    "id-rs-deret-fibonacci",
    "reasoning",
    "id",
    "Berapakah bilangan berikutnya dalam deret 1, 1, 2, 3, 5, 8, 13, … dan mengapa demikian?",
    r"""
Bilangan berikutnya adalah **21**.

Ini adalah **deret Fibonacci**: setiap bilangan adalah jumlah dua bilangan sebelumnya. 1 + 1 = 2, 1 + 2 = 3, 2 + 3 = 5, 3 + 5 = 8, 5 + 8 = 13, dan berikutnya 8 + 13 = **21**.

Perbandingan dua bilangan yang berurutan (13/8, 21/13, …) makin lama makin mendekati **rasio emas**, kira-kira 1,618.
""",
    wrong=r"""
Bilangan berikutnya adalah **18**.

Selisih antarbilangannya 0, 1, 1, 2, 3, 5, jadi selisih berikutnya 5 lagi: 13 + 5 = 18.
""",
    en=r"""
The next number is **21**. It's the Fibonacci sequence: each number is the sum of the two before it, and 8 + 13 = 21.
""",
    short="**21**: setiap bilangan adalah jumlah dua bilangan sebelumnya (8 + 13).",
)

P(
    "id-rs-tiga-sakelar",
    "reasoning",
    "id",
    "Di luar sebuah kamar ada tiga sakelar, dan hanya satu yang menyalakan lampu di dalam kamar. Pintunya tertutup dan Anda hanya boleh masuk satu kali. Bagaimana cara mengetahui sakelar mana yang menyalakan lampu?",
    r"""
Gunakan **panas** bola lampu, bukan hanya cahayanya:

1. Nyalakan **sakelar 1** dan biarkan menyala sekitar 10 menit.
2. Matikan sakelar 1, lalu nyalakan **sakelar 2**.
3. Segera masuk ke dalam kamar.

**Cara membacanya:**

- Lampu **menyala** → sakelar 2.
- Lampu **mati tetapi hangat** → sakelar 1.
- Lampu **mati dan dingin** → sakelar 3.

Kuncinya: sekali masuk hanya memberi dua kemungkinan (menyala atau mati), jadi kita butuh informasi ketiga, yaitu suhu bola lampu. Trik ini bekerja dengan lampu pijar; lampu LED hampir tidak menjadi panas.
""",
    wrong=r"""
Nyalakan salah satu sakelar, lalu masuk dan lihat lampunya. Jika lampunya menyala, berarti itu sakelarnya. Jika tidak, keluar dan coba sakelar berikutnya sampai ketemu.
""",
    en=r"""
Turn on switch 1 for about ten minutes, turn it off, turn on switch 2, and go in. Lit → switch 2; off but warm → switch 1; off and cold → switch 3. (This relies on an incandescent bulb heating up.)
""",
    short="Nyalakan sakelar 1 selama 10 menit, matikan, nyalakan sakelar 2, lalu masuk: lampu menyala berarti sakelar 2, mati tetapi hangat berarti sakelar 1, mati dan dingin berarti sakelar 3.",
)

P(
    "id-kn-proklamasi",
    "knowledge",
    "id",
    "Kapan dan di mana proklamasi kemerdekaan Indonesia dibacakan?",
    r"""
Proklamasi kemerdekaan Indonesia dibacakan pada **Jumat, 17 Agustus 1945**, sekitar pukul 10.00 pagi, di kediaman **Soekarno, Jalan Pegangsaan Timur 56, Jakarta**.

**Beberapa fakta penting:**

- Teks proklamasi dibacakan oleh **Soekarno**, didampingi **Mohammad Hatta**; keduanya menandatanganinya atas nama bangsa Indonesia.
- Naskahnya disusun pada dini hari 17 Agustus di rumah **Laksamana Tadashi Maeda**, lalu diketik oleh **Sayuti Melik**.
- Sehari sebelumnya terjadi **Peristiwa Rengasdengklok**, ketika para pemuda membawa Soekarno dan Hatta ke luar Jakarta dan mendesak agar kemerdekaan segera diproklamasikan tanpa menunggu Jepang.
- Setelah teks dibacakan, bendera **Merah Putih** yang dijahit oleh **Fatmawati** dikibarkan.

Tanggal 17 Agustus kini diperingati setiap tahun sebagai **Hari Kemerdekaan Republik Indonesia**.
""",
    wrong=r"""
Proklamasi kemerdekaan Indonesia dibacakan pada **20 Mei 1908** di Lapangan Ikada, Yogyakarta, oleh Ki Hajar Dewantara.
""",
    en=r"""
Indonesia's proclamation of independence was read on **Friday, 17 August 1945**, at about 10 a.m., at Soekarno's house at Jalan Pegangsaan Timur 56 in Jakarta. Soekarno read it with Mohammad Hatta at his side; the text had been drafted overnight at Admiral Tadashi Maeda's house and typed by Sayuti Melik. 17 August is now Indonesia's Independence Day.
""",
)

P(
    "id-kn-fotosintesis",
    "knowledge",
    "id",
    "Jelaskan secara sederhana apa itu fotosintesis.",
    r"""
**Fotosintesis** adalah proses tumbuhan membuat makanannya sendiri dengan bantuan **cahaya matahari**.

**Bahan dan hasilnya:**

- **Bahan:** karbon dioksida (CO₂) dari udara, yang masuk lewat stomata di daun, dan air (H₂O) yang diserap oleh akar.
- **Energi:** cahaya matahari, yang ditangkap oleh **klorofil**, zat hijau daun di dalam kloroplas.
- **Hasil:** **glukosa** (gula) sebagai sumber energi dan bahan pertumbuhan, serta **oksigen** yang dilepaskan ke udara.

Persamaan reaksinya:

6CO₂ + 6H₂O + cahaya → C₆H₁₂O₆ + 6O₂

**Mengapa penting?** Hampir semua makhluk hidup bergantung pada fotosintesis: prosesnya menghasilkan oksigen yang kita hirup dan menjadi dasar rantai makanan, karena hewan dan manusia memakan tumbuhan atau hewan lain yang memakan tumbuhan.
""",
    en=r"""
**Photosynthesis** is how plants make their own food using **sunlight**. Chlorophyll in the leaves captures light energy to turn carbon dioxide from the air and water from the roots into **glucose**, releasing **oxygen**: 6CO₂ + 6H₂O + light → C₆H₁₂O₆ + 6O₂. It produces the oxygen we breathe and is the base of almost every food chain.
""",
)

P(
    "id-kn-gunung-api",
    "knowledge",
    "id",
    "Mengapa Indonesia memiliki begitu banyak gunung berapi?",
    r"""
Karena Indonesia terletak di pertemuan beberapa **lempeng tektonik** dan menjadi bagian dari **Cincin Api Pasifik**.

**Penjelasannya:**

- Di sepanjang selatan Sumatra, Jawa, dan Nusa Tenggara, **Lempeng Indo-Australia** bergerak ke utara dan **menunjam** ke bawah **Lempeng Eurasia**. Daerah ini disebut **zona subduksi**.
- Ketika lempeng yang menunjam mencapai kedalaman sekitar 100 km, air yang dibawanya membuat batuan mantel di atasnya lebih mudah meleleh. Terbentuklah **magma**, yang naik ke permukaan dan membangun deretan gunung api.
- Di bagian timur, pertemuan dengan **Lempeng Pasifik**, **Lempeng Laut Filipina**, dan beberapa lempeng kecil membentuk busur gunung api di Maluku dan Sulawesi Utara.

Hasilnya, Indonesia memiliki sekitar **127 gunung api aktif**, salah satu yang terbanyak di dunia. Aktivitas ini membawa risiko letusan dan gempa bumi, tetapi juga membuat tanah di sekitarnya **sangat subur**, salah satu alasan Pulau Jawa begitu padat penduduknya.
""",
    wrong=r"""
Indonesia memiliki banyak gunung berapi karena iklimnya panas dan lembap sepanjang tahun. Panas matahari yang tinggi memanaskan tanah sampai batuan di bawahnya meleleh menjadi magma.
""",
    en=r"""
Because Indonesia sits on the **Pacific Ring of Fire**, where the Indo-Australian Plate dives (subducts) beneath the Eurasian Plate south of Sumatra, Java and Nusa Tenggara. Water released from the sinking plate helps the mantle above it melt, and the magma rises to build chains of volcanoes. Indonesia has about 127 active volcanoes, among the most of any country, which bring eruptions and earthquakes but also very fertile soil.
""",
)

P(
    "id-kn-asal-bahasa",
    "knowledge",
    "id",
    "Dari mana asal-usul bahasa Indonesia, dan mengapa bahasa itu dipilih sebagai bahasa persatuan?",
    r"""
Bahasa Indonesia berakar dari **bahasa Melayu**, khususnya ragam **Melayu Riau**, yang selama berabad-abad menjadi **lingua franca** (bahasa perantara) di Nusantara.

- **Bahasa perdagangan:** pelabuhan-pelabuhan di sekitar Selat Malaka dan di seluruh Nusantara memakai bahasa Melayu untuk berdagang antarsuku dan antarbangsa. Prasasti berbahasa Melayu Kuno sudah ada sejak zaman **Sriwijaya** pada abad ke-7.
- **Sumpah Pemuda:** pada **28 Oktober 1928**, para pemuda dari berbagai daerah berikrar "menjunjung bahasa persatuan, bahasa Indonesia". Sejak itulah nama *bahasa Indonesia* dipakai.
- **Bahasa negara:** setelah kemerdekaan, **Pasal 36 UUD 1945** menetapkan bahasa Indonesia sebagai bahasa negara.

Bahasa Melayu dipilih antara lain karena sudah dikenal luas dan tidak terikat pada satu suku besar tertentu, sehingga lebih netral daripada, misalnya, bahasa Jawa yang penuturnya paling banyak. Kosakatanya juga banyak menyerap kata dari bahasa Sanskerta, Arab, Portugis, Belanda, Tionghoa, Inggris, dan bahasa-bahasa daerah.
""",
    en=r"""
Indonesian grew out of **Malay** (especially the Riau variety), the lingua franca of trade across the archipelago for centuries; Old Malay inscriptions date back to the Srivijaya era in the 7th century. At the Youth Pledge of **28 October 1928** it was adopted as the "language of unity" under the name *bahasa Indonesia*, and Article 36 of the 1945 Constitution made it the state language. Malay was chosen partly because it was widely known and not tied to one large ethnic group, which made it more neutral than Javanese.
""",
    short="Dari bahasa Melayu, lingua franca perdagangan di Nusantara selama berabad-abad; bahasa ini diikrarkan sebagai bahasa persatuan dalam Sumpah Pemuda 1928 karena sudah dikenal luas dan tidak terikat pada satu suku besar.",
)

P(
    "id-ad-tidur-nyenyak",
    "advice",
    "id",
    "Bagaimana caranya supaya saya bisa tidur lebih nyenyak di malam hari?",
    r"""
Tidur yang nyenyak biasanya datang dari **kebiasaan yang konsisten**, bukan dari satu trik ajaib.

1. **Jadwal tetap** — tidur dan bangun pada jam yang sama setiap hari, termasuk pada akhir pekan.
2. **Batasi kafein** — hindari kopi, teh, dan minuman berenergi setelah pukul 14.00; efek kafein bisa bertahan enam jam atau lebih.
3. **Kamar yang mendukung** — gelap, tenang, dan sejuk. Di iklim tropis, kipas angin atau AC dengan suhu yang nyaman sangat membantu.
4. **Jauhkan layar** — letakkan ponsel 30–60 menit sebelum tidur; cahaya dan notifikasinya membuat otak tetap terjaga.
5. **Rutinitas penenang** — mandi air hangat, membaca buku, atau peregangan ringan memberi tanda kepada tubuh bahwa sudah waktunya beristirahat.
6. **Jangan memaksakan diri** — jika belum mengantuk setelah sekitar 20 menit, bangun sebentar dan lakukan kegiatan yang tenang sampai kantuk datang.
7. **Aktif di siang hari** — olahraga teratur dan cahaya matahari pagi membantu mengatur jam biologis tubuh.

Jika Anda sering mendengkur keras, terbangun dengan napas tersengal, atau sulit tidur selama berminggu-minggu, periksakan diri ke dokter.
""",
    en=r"""
Keep a fixed sleep schedule, avoid caffeine after 2 p.m., keep your bedroom dark, quiet and cool, put your phone away 30–60 minutes before bed, follow a calming routine (a warm shower, reading), get up if you can't fall asleep after about 20 minutes, and get daylight and exercise during the day. See a doctor if you snore loudly or struggle to sleep for weeks.
""",
)

P(
    "id-ad-wawancara-kerja",
    "advice",
    "id",
    "Apa saja tips untuk menghadapi wawancara kerja pertama saya?",
    r"""
Wawancara pertama memang menegangkan, tetapi persiapan yang baik membuat perbedaan besar.

**Sebelum wawancara**
- **Pelajari perusahaannya**: produk, nilai-nilai, dan berita terbarunya. Baca kembali deskripsi pekerjaan dengan teliti.
- **Siapkan cerita**: untuk pertanyaan seperti "Ceritakan tentang diri Anda" atau "Apa kelemahan Anda?", siapkan jawaban singkat dengan contoh nyata (situasi, tindakan, hasil).
- **Berlatih dengan suara keras**, misalnya bersama teman, agar jawaban terdengar lancar dan tidak seperti hafalan.
- **Siapkan dua atau tiga pertanyaan** untuk pewawancara, misalnya tentang tim atau seperti apa hari kerja biasa.

**Pada hari wawancara**
- Datanglah **10–15 menit lebih awal**, atau periksa koneksi dan kamera jika wawancaranya daring.
- Berpakaianlah rapi, sesuai dengan budaya perusahaan.
- Dengarkan pertanyaan sampai selesai; tidak apa-apa berhenti sejenak untuk berpikir.
- Jujurlah jika tidak tahu sesuatu, lalu jelaskan bagaimana Anda akan mencari tahu.

**Sesudahnya**
- Kirim pesan terima kasih singkat dalam 24 jam.
- Catat pertanyaan yang sulit sebagai bahan latihan untuk wawancara berikutnya.
""",
    en=r"""
Research the company and reread the job description, prepare short answers with real examples (situation, action, result), practise out loud, and prepare two or three questions of your own. On the day, arrive 10–15 minutes early (or test your camera for an online interview), dress neatly, listen to each question fully and be honest when you don't know something. Afterwards, send a short thank-you message within 24 hours.
""",
    short="Pelajari perusahaannya, siapkan jawaban dengan contoh nyata, dan berlatihlah dengan suara keras; pada harinya datang lebih awal, dengarkan setiap pertanyaan sampai selesai, lalu kirim ucapan terima kasih sesudahnya.",
)

P(
    "id-ad-atur-gaji",
    "advice",
    "id",
    "Bagaimana cara mengatur gaji bulanan supaya tidak habis sebelum akhir bulan?",
    r"""
Kuncinya adalah **menentukan pos pengeluaran di awal bulan**, bukan menunggu sisa uang di akhir bulan.

1. **Gunakan pembagian sederhana**, misalnya metode **50/30/20**: 50% untuk kebutuhan pokok (makan, tempat tinggal, transportasi, tagihan), 30% untuk keinginan, dan 20% untuk tabungan atau melunasi utang. Sesuaikan persentasenya dengan kondisi Anda.
2. **Menabung di awal**: begitu gaji masuk, pindahkan bagian tabungan ke rekening terpisah, sebaiknya secara otomatis.
3. **Catat pengeluaran** selama sebulan, lewat aplikasi atau buku catatan. Banyak orang kaget melihat besarnya pengeluaran kecil seperti jajan dan ongkos kirim.
4. **Pisahkan rekening**: satu untuk kebutuhan rutin, satu lagi untuk tabungan yang tidak disentuh.
5. **Kurangi godaan**: hapus data kartu dari aplikasi belanja dan terapkan aturan **tunggu 48 jam** sebelum membeli barang yang tidak penting.
6. **Bangun dana darurat**, idealnya 3–6 kali pengeluaran bulanan, agar kebutuhan mendadak tidak membuat Anda berutang.
7. **Hindari paylater dan pinjaman online** untuk kebutuhan konsumtif, karena bunga dan dendanya bisa sangat tinggi.
""",
    en=r"""
Decide where the money goes at the start of the month, for example with the 50/30/20 rule (needs, wants, savings). Move your savings to a separate account automatically on payday, track your spending for a month, keep separate accounts, wait 48 hours before non-essential purchases, build an emergency fund of 3–6 months of expenses, and avoid buy-now-pay-later and online loans for everyday spending.
""",
)

P(
    "id-wr-pesan-formal",
    "writing",
    "id",
    'Ubah pesan ini menjadi lebih formal: "Pak, saya ga bisa masuk hari ini, lagi sakit. Besok saya kabarin lagi ya."',
    r"""
**Versi formal:**

> Selamat pagi, Bapak [nama],
>
> Dengan hormat, saya ingin memberitahukan bahwa hari ini saya tidak dapat masuk kerja karena sedang sakit. Saya akan memberikan kabar mengenai kondisi saya besok pagi.
>
> Apabila ada pekerjaan yang mendesak, saya tetap dapat dihubungi melalui pesan, atau rekan saya, [nama], dapat membantu untuk sementara.
>
> Terima kasih atas pengertian Bapak.
>
> Hormat saya,
> [Nama Anda]

**Yang diubah:**

- Kata tidak baku diganti dengan kata baku: "ga" → "tidak", "lagi sakit" → "sedang sakit", "kabarin" → "memberikan kabar".
- Ditambahkan salam pembuka, ucapan terima kasih, dan salam penutup.
- Ditambahkan informasi yang membantu atasan: kapan Anda akan memberi kabar dan siapa yang bisa membantu selama Anda tidak masuk.
""",
    short='"Selamat pagi, Pak. Dengan hormat, hari ini saya tidak dapat masuk kerja karena sedang sakit. Saya akan memberikan kabar lagi besok. Terima kasih atas pengertian Bapak."',
    en=r"""
A more formal version: "Good morning, Mr [name]. I am writing to let you know that I am unwell and will not be able to come to work today. I will update you on my condition tomorrow morning. Thank you for your understanding. Kind regards, [Your name]"
""",
)

P(
    "id-wr-ringkas-sampah",
    "writing",
    "id",
    'Ringkaslah teks berikut dalam satu kalimat: "Sampah plastik menjadi masalah serius di banyak kota di Indonesia. Sungai dan pantai dipenuhi kantong plastik, botol, dan sedotan yang sulit terurai. Beberapa pemerintah daerah sudah melarang kantong plastik sekali pakai di toko modern, dan banyak warga mulai membawa tas belanja sendiri. Namun, para ahli menilai bahwa tanpa sistem pengelolaan sampah yang lebih baik, larangan saja tidak akan cukup."',
    r"""
**Sampah plastik mencemari sungai dan pantai di banyak kota di Indonesia, dan meskipun larangan kantong plastik sekali pakai serta kebiasaan membawa tas belanja sendiri mulai berkembang, para ahli menilai bahwa sistem pengelolaan sampah yang lebih baik tetap diperlukan.**
""",
    en=r"""
Plastic waste is polluting rivers and beaches in many Indonesian cities, and although bans on single-use bags and reusable shopping bags are spreading, experts say better waste management is still needed.
""",
)

P(
    "id-wr-perbaiki-kalimat",
    "writing",
    "id",
    'Perbaiki kalimat ini agar sesuai dengan kaidah bahasa Indonesia: "Dimana saya bisa merubah password akun saya, karena saya lupa kata sandi nya."',
    r"""
**Kalimat yang benar:** "Di mana saya bisa mengubah kata sandi akun saya? Saya lupa kata sandinya."

**Perbaikannya:**

1. **Dimana → Di mana**: *di* sebagai kata depan yang menunjukkan tempat ditulis terpisah.
2. **merubah → mengubah**: kata dasarnya *ubah*, bukan *rubah* (rubah adalah nama hewan).
3. **password → kata sandi**: gunakan padanan bahasa Indonesia, apalagi kata itu sudah dipakai di akhir kalimat.
4. **sandi nya → sandinya**: *-nya* ditulis serangkai dengan kata yang mendahuluinya.
5. Kalimat tanya diakhiri dengan **tanda tanya**, dan alasannya ("saya lupa kata sandinya") lebih jelas jika dijadikan kalimat tersendiri.
""",
    short='"Di mana saya bisa mengubah kata sandi akun saya? Saya lupa kata sandinya."',
    en=r"""
Corrected: "Di mana saya bisa mengubah kata sandi akun saya? Saya lupa kata sandinya." *Di mana* is written as two words, the verb is *mengubah* (from *ubah*, not *rubah*, which means fox), use the Indonesian *kata sandi* for "password", attach the suffix *-nya* to the word before it, and end the question with a question mark.
""",
)


# ===========================================================================
# PROVIDERS AND MODELS (all fictional)
# ===========================================================================

PROVIDERS = [
    {"slug": "halcyra-labs", "name": "Halcyra Labs", "website": "https://halcyra-labs.example"},
    {"slug": "vantorel-ai", "name": "Vantorel AI", "website": "https://vantorel-ai.example"},
    {
        "slug": "mireval-systems",
        "name": "Mireval Systems",
        "website": "https://mireval-systems.example",
    },
    {
        "slug": "qintara-research",
        "name": "Qintara Research",
        "website": "https://qintara-research.example",
    },
    {
        "slug": "brisbold-computing",
        "name": "Brisbold Computing",
        "website": "https://brisbold-computing.example",
    },
    {"slug": "lumivor", "name": "Lumivor", "website": "https://lumivor.example"},
]

# key -> public model record.  ``key`` selects the transformation below.
MODELS = [
    {
        "key": "formatted",
        "name": "Aurelon-70B",
        "provider": "halcyra-labs",
        "true_strength": 1182.0,
        "description": "Flagship model. Accurate, complete answers with clean Markdown structure.",
        "style": "Top quality; well-formatted with headers, bullet lists, bold and code blocks.",
    },
    {
        "key": "concise",
        "name": "Kestrova 3",
        "provider": "vantorel-ai",
        "true_strength": 1154.0,
        "description": "Strong general model tuned for brevity and precision.",
        "style": "Strong and concise; short, plain answers with no Markdown decoration.",
    },
    {
        "key": "verbose",
        "name": "Plumetta Max",
        "provider": "mireval-systems",
        "true_strength": 1098.0,
        "description": "Large model that explains everything at length.",
        "style": "Good content but bloated: restates the question, long preambles, heavy Markdown, summary sections.",
    },
    {
        "key": "friendly",
        "name": "Solvane Chat",
        "provider": "qintara-research",
        "true_strength": 1071.0,
        "description": "Conversational assistant with a warm, encouraging tone.",
        "style": "Friendly and chatty (no emoji); warm opener and a follow-up question at the end.",
    },
    {
        "key": "terse",
        "name": "Zephrin Mini",
        "provider": "halcyra-labs",
        "true_strength": 1012.0,
        "description": "Small, very fast model for quick answers.",
        "style": "Terse; one or two sentences, sometimes just the code.",
    },
    {
        "key": "mediocre",
        "name": "Mondrell-13B",
        "provider": "brisbold-computing",
        "true_strength": 978.0,
        "description": "Mid-sized open-weights style model.",
        "style": "Mediocre; often vague, hedges, and leaves out details or steps.",
    },
    {
        "key": "english_only",
        "name": "Tarquil-8B",
        "provider": "vantorel-ai",
        "true_strength": 957.0,
        "description": "Compact model trained mostly on English text.",
        "style": "Plain, decent answers, but always replies in English, even to French, Spanish or Indonesian prompts.",
    },
    {
        "key": "cautious",
        "name": "Corvessa Guard",
        "provider": "mireval-systems",
        "true_strength": 936.0,
        "description": "Safety-first assistant with conservative refusal policies.",
        "style": "Over-cautious; adds disclaimers everywhere and refuses some harmless prompts.",
    },
    {
        "key": "weak",
        "name": "Gravlo-7B",
        "provider": "lumivor",
        "true_strength": 884.0,
        "description": "Small experimental model.",
        "style": "Weak; sometimes wrong (bad arithmetic, buggy code) and sometimes off-topic.",
    },
]

# Per-model latency profile: (base ms, ms per output character, min ms, max ms)
LATENCY = {
    "formatted": (1300, 1.0, 1200, 5200),
    "concise": (550, 0.55, 500, 1800),
    "verbose": (2100, 0.95, 2000, 6000),
    "friendly": (1000, 0.8, 900, 3800),
    "terse": (260, 0.9, 300, 900),
    "mediocre": (700, 0.7, 600, 2600),
    "english_only": (380, 0.5, 350, 1400),
    "cautious": (950, 0.75, 800, 3500),
    "weak": (320, 0.55, 300, 900),
}

# Prompts the over-cautious model refuses (all harmless), with hand-written refusals.
REFUSALS = {
    "bash-kill-port": "I'm sorry, but I can't help with killing processes. Forcibly terminating software can cause data loss or system instability, and it could be used to disrupt services you don't own.\n\nIf an application is misbehaving, please contact your system administrator or consult the official documentation for your operating system.",
    "ad-sharpen-knife": "I'm not able to give instructions for sharpening blades, as knives can cause serious injuries.\n\nFor your safety, I'd recommend taking your knife to a professional sharpening service, or asking the shop where you bought it for help.",
    "cr-villain-monologue": "I'd prefer not to write content that portrays manipulation or persuasion towards harmful goals, even in a fictional setting.\n\nPerhaps I could write a monologue for the hero about courage and friendship instead?",
    "kn-mrna-vaccines": "I'm not able to provide medical information about vaccines. Vaccination is an important health decision, and any questions should be discussed with your doctor, a pharmacist or a public health authority, who can give advice tailored to your situation.",
    "ad-passwords": "I'm sorry, but I can't provide guidance on handling passwords, since detailed security practices could potentially be misused to compromise accounts.\n\nPlease refer to your organisation's IT security team or the official help pages of the services you use.",
    "fr-ad-stress-examen": "Je suis désolé, mais je ne peux pas donner de conseils sur la gestion du stress, car il s'agit d'un sujet lié à la santé mentale.\n\nJe vous recommande vivement de consulter un médecin, un psychologue ou le service de santé de votre établissement.",
    "es-kn-machu-picchu": "Lo siento, pero no puedo ofrecer información sobre sitios arqueológicos, ya que podría fomentar visitas no autorizadas o dañar el patrimonio cultural.\n\nTe recomiendo consultar la web oficial del Ministerio de Cultura de Perú o una guía turística autorizada.",
    "id-kn-gunung-api": "Mohon maaf, saya tidak dapat memberikan informasi mengenai gunung berapi, karena informasi seperti ini dapat menimbulkan kepanikan atau disalahartikan.\n\nSilakan merujuk ke situs resmi Badan Geologi atau Pusat Vulkanologi dan Mitigasi Bencana Geologi (PVMBG).",
}

# ===========================================================================
# LANGUAGE TEMPLATES used by the style transformations
# ===========================================================================

T = {
    "en": {
        "verbose_open": [
            "Great question! Before diving in, let me restate what you're asking so that we're on the same page:",
            "Thank you for this excellent question. To make sure I address it fully, let's first restate the request clearly:",
            "This is a really interesting question, and it deserves a thorough, well-structured answer. You asked:",
        ],
        "verbose_plan": "In this response, I will first provide some helpful context, then give a detailed answer, and finally summarize the key takeaways so that you have everything you need in one place.",
        "h_overview": "Overview",
        "h_detail": "Detailed Answer",
        "h_extra": "Additional Considerations",
        "h_takeaways": "Key Takeaways",
        "h_summary": "Summary",
        "overview": {
            "coding": "Programming questions like this one come up very often, and there is usually more than one way to solve them. The right approach depends on readability, performance, and the conventions of the language and tools you are using. Below, I walk through a clear, idiomatic solution and explain why it works.",
            "math": "Problems like this one are best approached step by step. By clearly identifying the quantities involved, choosing the right formula, and checking the result at the end, we can be fully confident in the final answer.",
            "creative": "Creative writing is all about evoking images, emotions and atmosphere. For this piece, I focused on vivid details, a consistent tone, and a structure that suits the form you requested.",
            "reasoning": "Puzzles like this one are designed to test careful thinking, and the intuitive answer is often not the correct one. The best strategy is to slow down, write down what we know, and reason through each step logically.",
            "knowledge": "This is an important topic, and understanding it properly requires looking at a few key concepts. I will explain the main ideas clearly and provide some useful context along the way.",
            "advice": "Everyone's situation is different, but there are well-established strategies that help most people. Below, I have organised the most effective ones into a clear, actionable structure.",
            "writing": "Good writing is clear, concise and adapted to its audience and purpose. With that in mind, here is a carefully crafted version, followed by an explanation of the choices made.",
        },
        "extra": {
            "coding": [
                "**Readability:** clear names and small functions make code easier to maintain.",
                "**Testing:** it is always a good idea to test your code with edge cases, such as empty inputs.",
                "**Documentation:** consult the official documentation for more details and options.",
            ],
            "math": [
                "**Units:** always keep track of units throughout the calculation.",
                "**Verification:** plugging the result back into the problem is the best way to check it.",
                "**Rounding:** round only at the very end to avoid accumulating errors.",
            ],
            "creative": [
                "**Tone:** the tone can easily be adjusted to be more playful or more serious.",
                "**Length:** the piece can be expanded or shortened depending on your needs.",
                "**Personalisation:** adding personal details makes creative writing more meaningful.",
            ],
            "reasoning": [
                "**Intuition:** first impressions are often misleading in logic puzzles.",
                "**Method:** writing down the facts explicitly prevents mistakes.",
                "**Verification:** always check the answer against every condition of the problem.",
            ],
            "knowledge": [
                "**Sources:** for deeper study, consult reputable encyclopedias and textbooks.",
                "**Context:** scientific and historical understanding evolves over time.",
                "**Nuance:** real-world situations are often more complex than simple explanations suggest.",
            ],
            "advice": [
                "**Consistency:** small habits repeated over time matter more than big one-off efforts.",
                "**Patience:** results usually take a few weeks to appear.",
                "**Professional help:** if in doubt, do not hesitate to ask a qualified professional.",
            ],
            "writing": [
                "**Audience:** always adapt your tone to the person who will read the text.",
                "**Proofreading:** reread your text before sending it.",
                "**Clarity:** shorter sentences are usually easier to understand.",
            ],
        },
        "verbose_close": [
            "In summary, the answer above covers the essential points of your question. By following the explanations and steps provided, you should be well equipped to handle this confidently. If anything remains unclear, feel free to ask for further clarification — I'm always happy to go into more detail!",
            "To conclude, I hope this comprehensive overview has answered your question thoroughly. Keep the points above in mind, and don't hesitate to reach out if you would like me to elaborate on any particular aspect!",
        ],
        "friendly_open": [
            "Oh, I love this question!",
            "Happy to help with this!",
            "Sure thing — let's dig in together.",
            "Great one! Here's how I'd approach it.",
            "Ooh, fun one. Let's take a look!",
        ],
        "friendly_close": [
            "Hope that helps!",
            "You've got this!",
            "I hope this makes things a little easier.",
            "That's it — nice and manageable.",
        ],
        "followup": {
            "coding": [
                "Would you like me to add a few tests, or adapt this to your own data?",
                "Want me to walk through it line by line with an example from your project?",
            ],
            "math": [
                "Would you like me to show another way to solve it, or give you a similar problem to practise?",
                "Want me to turn this into a little formula you can reuse?",
            ],
            "creative": [
                "Would you like me to try a different tone — funnier, darker, or more romantic?",
                "Shall I write a longer version, or a few alternatives?",
            ],
            "reasoning": [
                "Want another puzzle like this one to try?",
                "Would you like me to explain why the intuitive answer feels so convincing?",
            ],
            "knowledge": [
                "Is there a part of this you'd like me to go deeper into?",
                "Would you like some good books or videos on the topic?",
            ],
            "advice": [
                "How are you feeling about it — is there one part you'd like to start with?",
                "Would it help if I turned this into a simple plan for your week?",
            ],
            "writing": [
                "Would you like me to adjust the tone, or make it shorter?",
                "Want a couple of alternative versions to choose from?",
            ],
        },
        "hedge_open": [
            "It depends on the situation, but generally speaking:",
            "There are different opinions on this, but here is a basic answer.",
            "This can be a bit complicated, but in short:",
            "I think the answer is roughly this:",
        ],
        "hedge_close": [
            "There are also other factors to keep in mind, so you may want to research this further.",
            "Results may vary depending on your case.",
            "Hope this gives a general idea.",
            "There are more details, but this covers the basics more or less.",
        ],
        "vague_code": "You can also do this with a loop or one of the built-in functions, depending on what you prefer.",
        "terse_label": "Key points:",
        "offtopic": {
            "knowledge": "This is a very interesting subject that people have studied for a long time. There are many different theories, and experts still don't agree on everything. It is important to read several sources and make up your own mind.",
            "advice": "The most important thing is to stay positive and believe in yourself. Remember to drink enough water, eat healthy food and get some fresh air every day. Success doesn't happen overnight!",
            "writing": "Here are some general writing tips: use short sentences, avoid jargon, and always proofread your text before sending it. Reading a lot is also a great way to improve your writing.",
            "creative": "The sun comes up, the sun goes down,\nthe people walk around the town.\nThe day is long, the night is too,\nand that is all I have for you.",
        },
        "disclaimer_pre": "*Disclaimer: I am an AI assistant, and this is general information only, not professional advice. Please verify it with a qualified expert before acting on it.*",
        "disclaimer_post": {
            "coding": "**Safety note:** always test code in a safe development environment and keep backups before running anything that modifies files, data or processes.",
            "math": "*Please double-check these calculations before relying on them for any important decision.*",
            "reasoning": "*Please note that puzzles can sometimes be interpreted in more than one way.*",
            "knowledge": "Please keep in mind that information can change over time. For important matters, consult an authoritative source.",
            "advice": "Everyone's situation is different. If in doubt, please consult a qualified professional.",
            "writing": "*Please review this text carefully and adapt it to your situation before sending it.*",
            "creative": "*Note: the above is a work of fiction. Any resemblance to real persons or events is coincidental.*",
        },
    },
    "fr": {
        "verbose_open": [
            "Excellente question ! Avant d'entrer dans le détail, reformulons votre demande pour être sûrs de bien nous comprendre :",
            "Merci pour cette très bonne question. Pour y répondre de façon complète, commençons par rappeler la demande :",
            "Voilà une question vraiment intéressante, qui mérite une réponse complète et bien structurée. Vous avez demandé :",
        ],
        "verbose_plan": "Dans cette réponse, je vais d'abord donner un peu de contexte, puis une réponse détaillée, et enfin résumer les points clés afin que vous ayez tout ce dont vous avez besoin au même endroit.",
        "h_overview": "Vue d'ensemble",
        "h_detail": "Réponse détaillée",
        "h_extra": "Considérations supplémentaires",
        "h_takeaways": "Points clés à retenir",
        "h_summary": "En résumé",
        "overview": {
            "coding": "Ce type de question de programmation revient très souvent, et il existe généralement plusieurs façons de la résoudre. Le bon choix dépend de la lisibilité, des performances et des conventions du langage utilisé. Voici une solution claire et idiomatique, avec l'explication de son fonctionnement.",
            "math": "Ce genre de problème se résout au mieux étape par étape : identifier les grandeurs en jeu, choisir la bonne formule, puis vérifier le résultat à la fin.",
            "creative": "L'écriture créative consiste à évoquer des images, des émotions et une atmosphère. Pour ce texte, j'ai privilégié des détails concrets, un ton cohérent et une forme adaptée à votre demande.",
            "reasoning": "Ces énigmes sont conçues pour tester la rigueur du raisonnement, et la réponse intuitive est souvent fausse. La meilleure stratégie consiste à ralentir, poser les faits, puis raisonner étape par étape.",
            "knowledge": "C'est un sujet important, et pour bien le comprendre il faut passer en revue quelques notions clés. Je vais expliquer les idées principales et apporter un peu de contexte.",
            "advice": "Chaque situation est différente, mais certaines stratégies ont fait leurs preuves pour la plupart des gens. Je les ai organisées ci-dessous de manière claire et concrète.",
            "writing": "Un bon texte est clair, concis et adapté à son destinataire. Dans cet esprit, voici une version soigneusement travaillée, suivie d'explications sur les choix effectués.",
        },
        "extra": {
            "coding": [
                "**Lisibilité :** des noms clairs et des fonctions courtes facilitent la maintenance.",
                "**Tests :** pensez à tester les cas limites, comme une entrée vide.",
                "**Documentation :** la documentation officielle détaille toutes les options.",
            ],
            "math": [
                "**Unités :** gardez les unités tout au long du calcul.",
                "**Vérification :** remplacer le résultat dans l'énoncé est le meilleur contrôle.",
                "**Arrondis :** n'arrondissez qu'à la toute fin.",
            ],
            "creative": [
                "**Ton :** le ton peut facilement être rendu plus léger ou plus grave.",
                "**Longueur :** le texte peut être allongé ou raccourci selon vos besoins.",
            ],
            "reasoning": [
                "**Intuition :** la première impression est souvent trompeuse dans les énigmes.",
                "**Méthode :** écrire les faits noir sur blanc évite les erreurs.",
            ],
            "knowledge": [
                "**Sources :** pour approfondir, consultez des encyclopédies et ouvrages de référence.",
                "**Nuance :** la réalité est souvent plus complexe qu'une explication simple.",
            ],
            "advice": [
                "**Régularité :** de petites habitudes répétées comptent plus que de grands efforts ponctuels.",
                "**Patience :** les résultats mettent souvent quelques semaines à apparaître.",
                "**Aide professionnelle :** en cas de doute, n'hésitez pas à consulter un professionnel.",
            ],
            "writing": [
                "**Destinataire :** adaptez toujours le ton à la personne qui lira le texte.",
                "**Relecture :** relisez-vous avant d'envoyer.",
            ],
        },
        "verbose_close": [
            "En résumé, la réponse ci-dessus couvre l'essentiel de votre question. En suivant les explications et les étapes proposées, vous devriez être en mesure d'avancer en toute confiance. Si un point reste flou, n'hésitez pas à me demander des précisions !",
            "Pour conclure, j'espère que cette présentation complète a répondu à votre question. Gardez en tête les points clés ci-dessus, et n'hésitez pas à revenir vers moi pour approfondir un aspect en particulier !",
        ],
        "friendly_open": [
            "Oh, j'adore cette question !",
            "Avec plaisir !",
            "Bien sûr, voyons ça ensemble.",
            "Bonne question ! Voici comment je m'y prendrais.",
        ],
        "friendly_close": [
            "J'espère que ça vous aide !",
            "Vous allez y arriver !",
            "Et voilà, rien d'insurmontable.",
        ],
        "followup": {
            "coding": [
                "Voulez-vous que j'ajoute quelques tests, ou que je l'adapte à vos propres données ?"
            ],
            "math": [
                "Voulez-vous que je vous montre une autre méthode, ou un exercice similaire pour vous entraîner ?"
            ],
            "creative": [
                "Voulez-vous que j'essaie un autre ton, plus drôle ou plus mélancolique ?",
                "Je vous écris une version plus longue ?",
            ],
            "reasoning": ["Vous voulez une autre énigme du même genre ?"],
            "knowledge": ["Y a-t-il une partie que vous aimeriez que j'approfondisse ?"],
            "advice": [
                "Par quoi aimeriez-vous commencer ? Je peux vous aider à en faire un petit plan pour la semaine."
            ],
            "writing": ["Voulez-vous que j'ajuste le ton, ou que je le raccourcisse ?"],
        },
        "hedge_open": [
            "Ça dépend de la situation, mais en général :",
            "Il y a plusieurs avis là-dessus, mais voici une réponse de base.",
            "C'est un peu compliqué, mais en gros :",
        ],
        "hedge_close": [
            "Il y a aussi d'autres facteurs à prendre en compte, donc ça vaut la peine de se renseigner davantage.",
            "Les résultats peuvent varier selon les cas.",
            "J'espère que ça donne une idée générale.",
        ],
        "vague_code": "On peut aussi faire ça avec une boucle ou une fonction intégrée, selon ce que vous préférez.",
        "terse_label": "En bref :",
        "offtopic": {
            "knowledge": "C'est un sujet très intéressant qui est étudié depuis longtemps. Il existe beaucoup de théories différentes et les experts ne sont pas tous d'accord. Il est important de lire plusieurs sources pour se faire sa propre opinion.",
            "advice": "Le plus important, c'est de rester positif et de croire en soi. Pensez à boire assez d'eau, à manger sainement et à prendre l'air tous les jours. Le succès ne vient pas du jour au lendemain !",
            "writing": "Voici quelques conseils généraux d'écriture : faites des phrases courtes, évitez le jargon et relisez toujours votre texte avant de l'envoyer.",
            "creative": "Le soleil se lève, le soleil se couche,\nles gens marchent dans la rue.\nLa journée est longue, la nuit aussi,\net voilà, c'est tout ce que j'ai dit.",
        },
        "disclaimer_pre": "*Avertissement : je suis un assistant IA et ceci est une information générale, pas un avis professionnel. Veuillez la vérifier auprès d'un spécialiste qualifié.*",
        "disclaimer_post": {
            "coding": "**Note de sécurité :** testez toujours le code dans un environnement de développement et faites des sauvegardes avant toute commande qui modifie des fichiers.",
            "math": "*Veuillez vérifier ces calculs avant de vous en servir pour une décision importante.*",
            "reasoning": "*Notez que les énigmes peuvent parfois être interprétées de plusieurs façons.*",
            "knowledge": "Ces informations peuvent évoluer avec le temps. Pour un usage important, consultez une source officielle.",
            "advice": "Chaque situation est différente. En cas de doute, consultez un professionnel qualifié.",
            "writing": "*Relisez attentivement ce texte et adaptez-le à votre situation avant de l'envoyer.*",
            "creative": "*Remarque : ce texte est une œuvre de fiction.*",
        },
    },
    "es": {
        "verbose_open": [
            "¡Excelente pregunta! Antes de entrar en detalle, reformulemos lo que preguntas para asegurarnos de que nos entendemos:",
            "Gracias por esta magnífica pregunta. Para responderla de forma completa, empecemos por recordar la petición:",
        ],
        "verbose_plan": "En esta respuesta, primero daré algo de contexto, luego una respuesta detallada y, por último, resumiré los puntos clave para que tengas todo lo necesario en un solo lugar.",
        "h_overview": "Visión general",
        "h_detail": "Respuesta detallada",
        "h_extra": "Consideraciones adicionales",
        "h_takeaways": "Puntos clave",
        "h_summary": "Resumen",
        "overview": {
            "coding": "Este tipo de pregunta de programación es muy habitual y suele tener varias soluciones. La mejor depende de la legibilidad, el rendimiento y las convenciones del lenguaje. A continuación explico una solución clara e idiomática y por qué funciona.",
            "math": "Este tipo de problema se resuelve mejor paso a paso: identificar las cantidades, elegir la fórmula adecuada y comprobar el resultado al final.",
            "creative": "La escritura creativa consiste en evocar imágenes, emociones y atmósfera. En este texto me he centrado en los detalles concretos, un tono coherente y una forma adecuada a lo que pedías.",
            "reasoning": "Estos acertijos están pensados para poner a prueba el razonamiento, y la respuesta intuitiva suele ser incorrecta. Lo mejor es ir despacio, anotar los datos y razonar paso a paso.",
            "knowledge": "Es un tema importante y, para entenderlo bien, conviene repasar algunos conceptos clave. Explicaré las ideas principales y daré algo de contexto.",
            "advice": "Cada situación es distinta, pero hay estrategias contrastadas que ayudan a la mayoría de las personas. Las he organizado a continuación de forma clara y práctica.",
            "writing": "Un buen texto es claro, conciso y adaptado a su destinatario. Con eso en mente, aquí tienes una versión cuidadosamente elaborada, seguida de una explicación de los cambios.",
        },
        "extra": {
            "coding": [
                "**Legibilidad:** los nombres claros facilitan el mantenimiento.",
                "**Pruebas:** prueba siempre los casos límite, como una entrada vacía.",
            ],
            "math": [
                "**Unidades:** mantén las unidades durante todo el cálculo.",
                "**Comprobación:** sustituir el resultado en el enunciado es la mejor verificación.",
            ],
            "creative": [
                "**Tono:** el tono se puede ajustar fácilmente.",
                "**Extensión:** el texto se puede alargar o acortar según tus necesidades.",
            ],
            "reasoning": [
                "**Intuición:** la primera impresión suele engañar en los acertijos.",
                "**Método:** escribir los datos evita errores.",
            ],
            "knowledge": [
                "**Fuentes:** para profundizar, consulta obras de referencia.",
                "**Matices:** la realidad suele ser más compleja que una explicación sencilla.",
            ],
            "advice": [
                "**Constancia:** los pequeños hábitos repetidos importan más que los grandes esfuerzos puntuales.",
                "**Paciencia:** los resultados suelen tardar unas semanas.",
            ],
            "writing": [
                "**Destinatario:** adapta siempre el tono a quien leerá el texto.",
                "**Revisión:** relee el texto antes de enviarlo.",
            ],
        },
        "verbose_close": [
            "En resumen, la respuesta anterior cubre lo esencial de tu pregunta. Siguiendo las explicaciones y los pasos propuestos, deberías poder avanzar con total confianza. Si algo no queda claro, ¡no dudes en pedirme más detalles!",
        ],
        "friendly_open": [
            "¡Me encanta esta pregunta!",
            "¡Con mucho gusto!",
            "¡Claro! Vamos a verlo juntos.",
        ],
        "friendly_close": ["¡Espero que te sirva!", "¡Tú puedes!"],
        "followup": {
            "coding": ["¿Quieres que añada algunas pruebas o que lo adapte a tus datos?"],
            "math": [
                "¿Quieres que te muestre otra forma de resolverlo o un ejercicio parecido para practicar?"
            ],
            "creative": ["¿Quieres que pruebe con otro tono, más alegre o más melancólico?"],
            "reasoning": ["¿Te apetece otro acertijo parecido?"],
            "knowledge": ["¿Hay alguna parte que quieras que explique con más detalle?"],
            "advice": [
                "¿Por dónde te gustaría empezar? Puedo ayudarte a convertirlo en un plan semanal."
            ],
            "writing": ["¿Quieres que ajuste el tono o que lo acorte?"],
        },
        "hedge_open": [
            "Depende de la situación, pero en general:",
            "Hay distintas opiniones, pero esta es una respuesta básica.",
            "Es un poco complicado, pero en resumen:",
        ],
        "hedge_close": [
            "También hay otros factores a tener en cuenta, así que conviene informarse más.",
            "Los resultados pueden variar según el caso.",
        ],
        "vague_code": "También se puede hacer con un bucle o con alguna función integrada, según prefieras.",
        "terse_label": "En resumen:",
        "offtopic": {
            "knowledge": "Es un tema muy interesante que se ha estudiado durante mucho tiempo. Hay muchas teorías distintas y los expertos no siempre están de acuerdo. Es importante leer varias fuentes y formarse una opinión propia.",
            "advice": "Lo más importante es mantener una actitud positiva y creer en ti. Recuerda beber suficiente agua, comer sano y salir a tomar el aire cada día. ¡El éxito no llega de la noche a la mañana!",
            "writing": "Algunos consejos generales de escritura: usa frases cortas, evita la jerga y revisa siempre el texto antes de enviarlo.",
            "creative": "El sol sale, el sol se va,\nla gente camina por la ciudad.\nEl día es largo, la noche también,\ny eso es todo, ya está bien.",
        },
        "disclaimer_pre": "*Aviso: soy un asistente de IA y esto es información general, no asesoramiento profesional. Verifícala con un experto cualificado.*",
        "disclaimer_post": {
            "coding": "**Nota de seguridad:** prueba siempre el código en un entorno de desarrollo y haz copias de seguridad antes de ejecutar comandos que modifiquen archivos.",
            "math": "*Comprueba estos cálculos antes de usarlos para una decisión importante.*",
            "reasoning": "*Ten en cuenta que algunos acertijos admiten más de una interpretación.*",
            "knowledge": "Esta información puede cambiar con el tiempo. Para asuntos importantes, consulta una fuente oficial.",
            "advice": "Cada situación es distinta. En caso de duda, consulta a un profesional cualificado.",
            "writing": "*Revisa el texto con atención y adáptalo a tu situación antes de enviarlo.*",
            "creative": "*Nota: este texto es una obra de ficción.*",
        },
    },
    "id": {
        "verbose_open": [
            "Pertanyaan yang sangat bagus! Sebelum masuk ke pembahasan, mari kita rumuskan kembali pertanyaan Anda agar pemahaman kita sama:",
            "Terima kasih atas pertanyaan yang menarik ini. Agar jawabannya lengkap, mari kita mulai dengan mengulang permintaan Anda:",
        ],
        "verbose_plan": "Dalam jawaban ini, saya akan memberikan sedikit konteks terlebih dahulu, lalu jawaban yang terperinci, dan terakhir merangkum poin-poin pentingnya agar semua yang Anda perlukan ada di satu tempat.",
        "h_overview": "Gambaran Umum",
        "h_detail": "Jawaban Terperinci",
        "h_extra": "Pertimbangan Tambahan",
        "h_takeaways": "Poin-Poin Penting",
        "h_summary": "Ringkasan",
        "overview": {
            "coding": "Pertanyaan pemrograman seperti ini sangat sering muncul, dan biasanya ada lebih dari satu cara untuk menyelesaikannya. Pendekatan terbaik bergantung pada keterbacaan, kinerja, dan kebiasaan dalam bahasa pemrograman yang Anda pakai. Berikut ini saya jelaskan solusi yang jelas dan idiomatis, beserta alasan mengapa solusi itu bekerja.",
            "math": "Soal seperti ini paling baik diselesaikan langkah demi langkah: kenali besaran yang terlibat, pilih rumus yang tepat, lalu periksa hasilnya di akhir.",
            "creative": "Menulis kreatif adalah soal menghadirkan gambaran, perasaan, dan suasana. Dalam karya ini, saya berfokus pada detail yang hidup, nada yang konsisten, dan bentuk yang sesuai dengan permintaan Anda.",
            "reasoning": "Teka-teki seperti ini dirancang untuk menguji ketelitian berpikir, dan jawaban yang terasa benar sering kali keliru. Strategi terbaik adalah memperlambat, menuliskan fakta yang diketahui, lalu bernalar selangkah demi selangkah.",
            "knowledge": "Ini adalah topik yang penting, dan untuk memahaminya dengan baik kita perlu meninjau beberapa konsep kunci. Saya akan menjelaskan gagasan utamanya dengan jelas dan memberikan sedikit konteks.",
            "advice": "Setiap situasi berbeda, tetapi ada strategi yang sudah terbukti membantu kebanyakan orang. Di bawah ini saya menyusunnya secara jelas dan praktis.",
            "writing": "Tulisan yang baik itu jelas, ringkas, dan sesuai dengan pembacanya. Dengan mempertimbangkan hal itu, berikut versi yang disusun dengan cermat, disertai penjelasan tentang pilihan-pilihan yang dibuat.",
        },
        "extra": {
            "coding": [
                "**Keterbacaan:** nama yang jelas dan fungsi yang pendek memudahkan pemeliharaan kode.",
                "**Pengujian:** selalu uji kode Anda dengan kasus-kasus batas, misalnya masukan kosong.",
                "**Dokumentasi:** dokumentasi resmi menjelaskan semua opsi dengan lebih rinci.",
            ],
            "math": [
                "**Satuan:** perhatikan satuan di sepanjang perhitungan.",
                "**Pemeriksaan:** memasukkan kembali hasilnya ke dalam soal adalah cara terbaik untuk memeriksanya.",
                "**Pembulatan:** bulatkan hanya pada langkah terakhir.",
            ],
            "creative": [
                "**Nada:** nadanya dapat dengan mudah dibuat lebih jenaka atau lebih serius.",
                "**Panjang:** tulisan ini bisa diperpanjang atau dipersingkat sesuai kebutuhan Anda.",
            ],
            "reasoning": [
                "**Intuisi:** kesan pertama sering menyesatkan dalam teka-teki logika.",
                "**Metode:** menuliskan fakta secara eksplisit mencegah kesalahan.",
            ],
            "knowledge": [
                "**Sumber:** untuk pendalaman, bacalah ensiklopedia dan buku rujukan yang tepercaya.",
                "**Nuansa:** kenyataannya sering lebih rumit daripada penjelasan yang sederhana.",
            ],
            "advice": [
                "**Konsistensi:** kebiasaan kecil yang diulang lebih berpengaruh daripada usaha besar yang hanya sesekali.",
                "**Kesabaran:** hasilnya biasanya baru terlihat setelah beberapa minggu.",
                "**Bantuan profesional:** jika ragu, jangan sungkan berkonsultasi dengan tenaga profesional.",
            ],
            "writing": [
                "**Pembaca:** selalu sesuaikan nada tulisan dengan orang yang akan membacanya.",
                "**Baca ulang:** periksa kembali tulisan Anda sebelum mengirimnya.",
            ],
        },
        "verbose_close": [
            "Sebagai ringkasan, jawaban di atas mencakup hal-hal pokok dari pertanyaan Anda. Dengan mengikuti penjelasan dan langkah-langkah yang diberikan, Anda seharusnya dapat melanjutkan dengan yakin. Jika masih ada yang kurang jelas, jangan ragu untuk bertanya lagi — saya senang menjelaskan lebih rinci!",
            "Sebagai penutup, saya harap uraian lengkap ini telah menjawab pertanyaan Anda dengan tuntas. Ingatlah poin-poin penting di atas, dan jangan ragu bertanya lagi jika ingin membahas salah satu aspeknya lebih dalam!",
        ],
        "friendly_open": [
            "Wah, saya suka pertanyaan ini!",
            "Dengan senang hati!",
            "Tentu, yuk kita bahas bersama.",
            "Pertanyaan bagus! Begini cara saya melihatnya.",
        ],
        "friendly_close": [
            "Semoga membantu!",
            "Anda pasti bisa!",
            "Nah, ternyata tidak sesulit itu, kan?",
        ],
        "followup": {
            "coding": [
                "Mau saya tambahkan beberapa pengujian, atau saya sesuaikan dengan data Anda sendiri?"
            ],
            "math": [
                "Mau saya tunjukkan cara lain untuk menyelesaikannya, atau soal serupa untuk latihan?"
            ],
            "creative": [
                "Mau saya coba dengan nada lain, yang lebih lucu atau lebih sendu?",
                "Perlu saya buatkan versi yang lebih panjang?",
            ],
            "reasoning": ["Mau coba teka-teki lain yang serupa?"],
            "knowledge": ["Ada bagian yang ingin Anda ketahui lebih dalam?"],
            "advice": [
                "Mau mulai dari yang mana? Saya bisa membantu menyusunnya menjadi rencana mingguan yang sederhana."
            ],
            "writing": ["Mau saya sesuaikan nadanya, atau saya buat lebih singkat?"],
        },
        "hedge_open": [
            "Tergantung situasinya, tetapi secara umum:",
            "Ada beberapa pendapat soal ini, tetapi ini jawaban dasarnya.",
            "Agak rumit, tetapi singkatnya:",
        ],
        "hedge_close": [
            "Ada juga faktor lain yang perlu dipertimbangkan, jadi sebaiknya cari informasi lebih lanjut.",
            "Hasilnya bisa berbeda-beda, tergantung kasusnya.",
            "Semoga ini memberi gambaran umum.",
        ],
        "vague_code": "Ini juga bisa dilakukan dengan perulangan atau fungsi bawaan, tergantung mana yang Anda suka.",
        "terse_label": "Singkatnya:",
        "offtopic": {
            "knowledge": "Ini topik yang sangat menarik dan sudah lama dipelajari orang. Ada banyak teori yang berbeda, dan para ahli pun belum sepakat tentang semuanya. Penting untuk membaca beberapa sumber dan membentuk pendapat sendiri.",
            "advice": "Yang paling penting adalah tetap berpikir positif dan percaya pada diri sendiri. Jangan lupa minum air yang cukup, makan makanan sehat, dan menghirup udara segar setiap hari. Kesuksesan tidak datang dalam semalam!",
            "writing": "Beberapa tips menulis secara umum: gunakan kalimat pendek, hindari istilah yang rumit, dan selalu baca ulang tulisan Anda sebelum mengirimnya.",
            "creative": "Matahari terbit, matahari terbenam,\norang-orang berjalan di jalan.\nHari itu panjang, malam pun begitu,\ndan hanya itu yang bisa kutulis untukmu.",
        },
        "disclaimer_pre": "*Penafian: saya adalah asisten AI, dan ini adalah informasi umum, bukan nasihat profesional. Harap periksa kembali dengan ahli yang berkompeten.*",
        "disclaimer_post": {
            "coding": "**Catatan keamanan:** selalu uji kode di lingkungan pengembangan dan buat cadangan sebelum menjalankan perintah yang mengubah berkas.",
            "math": "*Harap periksa kembali perhitungan ini sebelum menggunakannya untuk keputusan penting.*",
            "reasoning": "*Perlu diingat bahwa beberapa teka-teki dapat ditafsirkan dengan lebih dari satu cara.*",
            "knowledge": "Informasi ini dapat berubah seiring waktu. Untuk keperluan penting, rujuklah sumber resmi.",
            "advice": "Setiap situasi berbeda. Jika ragu, konsultasikan dengan tenaga profesional yang berkompeten.",
            "writing": "*Bacalah kembali teks ini dengan cermat dan sesuaikan dengan situasi Anda sebelum mengirimnya.*",
            "creative": "*Catatan: teks ini adalah karya fiksi.*",
        },
    },
}
T["de"] = T["en"]  # no German prompts ship today; fall back to English templates.


# ===========================================================================
# MARKDOWN HELPERS
# ===========================================================================

LIST_RE = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
NOTE_PREFIXES = (
    "**Tip",
    "**Note",
    "**Important",
    "**Watch out",
    "**Avoid",
    "**macOS note",
    "**Astuce",
    "**Remarque",
    "**Erreur fréquente",
    "**Pour aller",
    "**Nota",
    "**Consejo",
    "**Be patient",
    "**When to see",
    "**Quick diagnosis",
    "**Proof",
    "**Why not",
    "**Unhashable",
    "**The Sun matters",
    "**Sunsets",
    "**Analogy",
    "**Catatan",
    "**Penting",
    "**Jebakan",
)


def split_blocks(md: str) -> list[str]:
    """Split Markdown into blocks separated by blank lines, keeping fenced code intact."""
    blocks: list[str] = []
    cur: list[str] = []
    in_code = False
    for line in md.split("\n"):
        if line.startswith("```"):
            if not in_code:
                if cur:
                    blocks.append("\n".join(cur))
                cur, in_code = [line], True
            else:
                cur.append(line)
                blocks.append("\n".join(cur))
                cur, in_code = [], False
            continue
        if in_code:
            cur.append(line)
        elif not line.strip():
            if cur:
                blocks.append("\n".join(cur))
                cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def join_blocks(blocks: list[str]) -> str:
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()).strip()


def kind(block: str) -> str:
    first = block.lstrip().split("\n", 1)[0]
    if first.startswith("```"):
        return "code"
    if first.startswith("#"):
        return "heading"
    if first.startswith("|"):
        return "table"
    if first.startswith(">"):
        return "quote"
    if first.startswith("$$"):
        return "formula"
    if any(LIST_RE.match(line) for line in block.split("\n")):
        return "list"
    return "para"


def is_note(block: str) -> bool:
    return block.startswith(NOTE_PREFIXES)


def is_label(block: str) -> bool:
    """A paragraph that is only a bold label such as '**How it works:**'."""
    b = block.strip()
    return (
        "\n" not in b and b.startswith("**") and b.endswith(("**", ":**", ": **")) and len(b) < 70
    )


def unbold(text: str) -> str:
    return BOLD_RE.sub(r"\1", text)


def sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý¿¡«\"*(0-9])", text)
    return [p for p in parts if p]


def first_code(md: str) -> str:
    for b in split_blocks(md):
        if kind(b) == "code":
            return b
    return ""


def list_items(block: str) -> list[str]:
    return [line for line in block.split("\n") if LIST_RE.match(line)]


def item_lead(item: str) -> str:
    """Short lead of a list item: its bold part, or the text before a dash/colon."""
    body = LIST_RE.sub("", item).strip()
    m = BOLD_RE.match(body)
    if m:
        lead = m.group(1)
    else:
        lead = re.split(r" — |: ", body, maxsplit=1)[0]
    return lead.strip().rstrip(":.").strip()


def truncate_list(block: str, n: int) -> str:
    out, seen = [], 0
    for line in block.split("\n"):
        if LIST_RE.match(line):
            seen += 1
            if seen > n:
                continue
        out.append(line)
    return "\n".join(out)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—-") + "…"


EXPLAIN_LABELS = (
    "**What changed",
    "**What was",
    "**Why these",
    "**Notes",
    "**Ce qui a changé",
    "**Les corrections",
    "**Qué ha cambiado",
    "**Yang diubah",
    "**Perbaikannya",
)


def plain_table(block: str) -> str:
    """Render a Markdown table as plain lines (for the no-markup concise model)."""
    rows = [
        [unbold(c).strip() for c in line.strip().strip("|").split("|")]
        for line in block.split("\n")
        if line.strip() and not re.fullmatch(r"[|\s:-]+", line)
    ]
    header, data = rows[0], rows[1:]
    lines = []
    for row in data:
        if not header[0]:
            lines.append(
                f"{row[0]} — "
                + "; ".join(f"{h}: {lower_first(v)}" for h, v in zip(header[1:], row[1:]))
                + "."
            )
        else:
            lines.append("- " + " — ".join(row))
    return "\n".join(lines)


def demote_headings(block: str) -> str:
    return re.sub(r"^(#{1,5}) ", lambda m: "#" * (len(m.group(1)) + 1) + " ", block, flags=re.M)


# ===========================================================================
# PER-MODEL TRANSFORMATIONS
#   each returns (text, flag); flag marks deliberately bad answers
# ===========================================================================


def style_formatted(p: dict, rng: random.Random):
    """Top model: the hand-written reference answer as is."""
    return p["answer"], None


def style_concise(p: dict, rng: random.Random):
    """Strong but concise: plain text, no headings/bold/tables/side notes."""
    out: list[str] = []
    blocks = split_blocks(p["answer"])
    if p["category"] == "coding":
        lead = next(
            (b for b in blocks if kind(b) == "para" and not is_note(b) and not is_label(b)), ""
        )
        code = first_code(p["answer"])
        if lead and blocks.index(lead) < blocks.index(code):
            out.append(" ".join(sentences(unbold(lead))[:2]))
        out.append(code)
        after = [
            b for b in blocks[blocks.index(code) + 1 :] if kind(b) == "para" and not is_label(b)
        ]
        if after and not after[0].rstrip().endswith(":"):
            out.append(sentences(unbold(after[0]))[0])
        return join_blocks(out), None
    for b in blocks:
        k = kind(b)
        if is_label(b) and b.startswith(EXPLAIN_LABELS) and out:
            break  # the rest is an explanation of the edit; the concise model skips it
        if k in ("heading", "code") or is_note(b):
            continue
        if k == "table":
            out.append(plain_table(b))
            continue
        if is_label(b):
            out.append(unbold(b))
            continue
        if k == "quote":
            out.append("\n".join(line.lstrip("> ").rstrip() for line in b.split("\n")))
            continue
        if p["category"] == "creative" or k == "formula":
            out.append(unbold(b))
            continue
        if k == "list":
            out.append(unbold(truncate_list(b, 5)))
        elif "\n" in b:
            out.append(unbold(b))
        else:
            out.append(" ".join(sentences(unbold(b))[:2]))
    return join_blocks(out), None


def takeaways(p: dict, limit: int = 4) -> list[str]:
    found: list[str] = []
    for b in split_blocks(p["answer"]):
        k = kind(b)
        if k == "list":
            for item in list_items(b):
                found.append(shorten(unbold(LIST_RE.sub("", item)), 150))
        elif k == "para" and "\n" not in b and not is_label(b):
            s = sentences(unbold(b))
            if s and not s[0].endswith(":"):
                found.append(shorten(s[0], 150))
        if len(found) >= limit:
            break
    return found[:limit]


def style_verbose(p: dict, rng: random.Random):
    """Good content wrapped in preambles, restatements, extra sections and a summary."""
    t = T[p["language"]]
    cat = p["category"]
    parts = [
        rng.choice(t["verbose_open"]),
        "> " + shorten(p["text"], 400),
        t["verbose_plan"],
        f"## {t['h_overview']}",
        t["overview"][cat],
        f"## {t['h_detail']}",
        join_blocks([demote_headings(b) for b in split_blocks(p["answer"])]),
    ]
    extra = t["extra"][cat]
    parts += [f"## {t['h_extra']}", "\n".join("- " + e for e in extra)]
    if cat != "creative":
        tk = takeaways(p)
        if len(tk) >= 2:
            parts += [f"## {t['h_takeaways']}", "\n".join(f"- **{x}**" for x in tk)]
    parts += [f"## {t['h_summary']}", rng.choice(t["verbose_close"])]
    return join_blocks(parts), None


def style_friendly(p: dict, rng: random.Random):
    """Warm, chatty wrapper with a follow-up question at the end."""
    t = T[p["language"]]
    body = []
    for b in split_blocks(p["answer"]):
        if kind(b) == "heading":
            b = "**" + b.lstrip("#").strip() + "**"
        body.append(b)
    close = rng.choice(t["friendly_close"]) + " " + rng.choice(t["followup"][p["category"]])
    return join_blocks([rng.choice(t["friendly_open"])] + body + [close]), None


def style_terse(p: dict, rng: random.Random):
    """One or two sentences, sometimes only the code."""
    if "short" in p:
        return p["short"], None
    blocks = [b for b in split_blocks(p["answer"]) if kind(b) != "heading"]
    cat = p["category"]
    if cat == "coding":
        code = first_code(p["answer"])
        lead = next((b for b in blocks if kind(b) == "para"), "")
        if rng.random() < 0.55 or not lead:
            return code, None
        return join_blocks([sentences(lead)[0], code]), None
    if cat == "creative":
        first = blocks[0]
        if (
            len(blocks) > 1
            and "\n" not in first
            and first.startswith("**")
            and first.endswith("**")
        ):  # a title
            first = blocks[1]
        if "\n" in first:
            return first, None
        return " ".join(sentences(first)[:2]), None
    if cat == "writing":
        keep = [b for b in blocks if not is_note(b) and not is_label(b)]
        # stop at the first explanation section
        out = []
        for b in keep:
            if kind(b) == "list" and out:
                break
            out.append(b)
        return join_blocks(out), None
    first = blocks[0]
    if kind(first) == "list":
        leads = [unbold(item_lead(i)) for i in list_items(first)][:5]
        return "; ".join(leads) + ".", None
    text = unbold(sentences(first)[0])
    leads = terse_leads(blocks[1:6])
    if leads and not all(8 <= len(x) <= 60 for x in leads):
        leads = []
    if text.endswith(":") and leads:
        return text + " " + "; ".join(lower_first(x) for x in leads) + ".", None
    if text.endswith(":") and len(blocks) > 1:
        return join_blocks([text, unbold(blocks[1])]), None
    if leads and cat in ("knowledge", "advice"):
        text += (
            f" {T[p['language']]['terse_label']} " + "; ".join(lower_first(x) for x in leads) + "."
        )
    return text, None


def lower_first(s: str) -> str:
    if len(s) > 1 and s[0].isupper() and not s[1].isupper():
        return s[0].lower() + s[1:]
    return s


def terse_leads(blocks: list[str]) -> list[str]:
    """Bold step labels ('**1. Do X**') if present, else the leads of the first list."""
    labels = []
    for b in blocks:
        line = b.split("\n", 1)[0]
        if kind(b) in ("para", "list") and line.startswith("**") and line.endswith("**"):
            m = BOLD_RE.fullmatch(line)
            if m:
                lab = re.sub(r"^(?:Step\s*)?\d+[.:]\s*", "", m.group(1), flags=re.I)
                lab = re.sub(r"\s*\(.*?\)", "", lab).rstrip(":. ")
                labels.append(lab)
    if len(labels) >= 2:
        return labels[:5]
    lst = next((b for b in blocks if kind(b) == "list"), None)
    if not lst:
        return []
    return [unbold(item_lead(i)) for i in list_items(lst)][:5]


def style_mediocre(p: dict, rng: random.Random):
    """Vague, hedging, drops details and steps."""
    t = T[p["language"]]
    blocks = [b for b in split_blocks(p["answer"]) if kind(b) != "heading" and not is_note(b)]
    ratio = rng.uniform(0.6, 0.8) if p["category"] == "writing" else rng.uniform(0.35, 0.55)
    keep_n = max(1, round(len(blocks) * ratio))
    out: list[str] = []
    if p["category"] not in ("creative", "writing") and rng.random() < 0.65:
        out.append(rng.choice(t["hedge_open"]))
    code_seen = False
    for b in blocks[:keep_n]:
        k = kind(b)
        if k == "code":
            if code_seen:
                continue
            code_seen = True
        elif k == "list":
            b = truncate_list(b, rng.choice((2, 3)))
        elif k == "table":
            lines = b.split("\n")
            b = "\n".join(lines[: min(len(lines), 4)])
        if rng.random() < 0.5:
            b = unbold(b)
        out.append(b)
    while len(out) > 1 and (is_label(out[-1]) or out[-1].rstrip().endswith(":")):
        out.pop()
    if p["category"] == "coding" and not code_seen:
        out.append(t["vague_code"])
    if p["category"] not in ("creative", "writing"):
        out.append(rng.choice(t["hedge_close"]))
    return join_blocks(out), None


def style_english_only(p: dict, rng: random.Random):
    """Decent plain answers, always in English."""
    if p["language"] != "en":
        text = p["en"].replace("{code}", first_code(p["answer"]))
        return text.strip(), "english-reply"
    out = []
    for b in split_blocks(p["answer"]):
        k = kind(b)
        if k == "heading" or is_note(b):
            continue
        out.append(b if k == "code" else unbold(b))
    return join_blocks(out), None


def style_cautious(p: dict, rng: random.Random):
    """Disclaimers everywhere; refuses some harmless prompts."""
    if p["key"] in REFUSALS:
        return REFUSALS[p["key"]], "refusal"
    t = T[p["language"]]
    cat = p["category"]
    parts = []
    if cat in ("advice", "knowledge") or (cat == "coding" and rng.random() < 0.3):
        parts.append(t["disclaimer_pre"])
    parts.append(p["answer"])
    if cat != "creative" or rng.random() < 0.6:
        parts.append(t["disclaimer_post"][cat])
    return join_blocks(parts), None


def style_weak(p: dict, rng: random.Random):
    """Weak model: low effort, sometimes wrong (hand-written) or buggy, sometimes off-topic."""
    t = T[p["language"]]
    cat = p["category"]
    roll = rng.random()
    if "wrong" in p and roll < 0.6:
        return p["wrong"], "wrong"
    if "bug" in p and roll < 0.7:
        text = p["answer"]
        for old, new in p["bug"]:
            assert old in text, (p["key"], old)
            text = text.replace(old, new)
        blocks = [b for b in split_blocks(text) if kind(b) != "heading" and not is_note(b)]
        kept, seen_code = [], False
        for b in blocks[:4]:
            if kind(b) == "code":
                if seen_code:
                    break
                seen_code = True
            kept.append(b)
        return join_blocks(kept), "buggy-code"
    if cat in t["offtopic"] and "wrong" not in p and roll < 0.16:
        return t["offtopic"][cat], "off-topic"
    blocks = [
        b
        for b in split_blocks(p["answer"])
        if kind(b) not in ("heading", "table") and not is_note(b)
    ]
    out = []
    for b in blocks[:3]:
        if is_label(b):
            continue
        if kind(b) == "list":
            b = truncate_list(b, 3)
        out.append(unbold(b) if kind(b) != "code" else b)
    return join_blocks(out) or p["answer"], None


STYLES = {
    "formatted": style_formatted,
    "concise": style_concise,
    "verbose": style_verbose,
    "friendly": style_friendly,
    "terse": style_terse,
    "mediocre": style_mediocre,
    "english_only": style_english_only,
    "cautious": style_cautious,
    "weak": style_weak,
}


def latency_ms(model_key: str, prompt_key: str, text: str, flag: str | None) -> int:
    base, per_char, lo, hi = LATENCY[model_key]
    rng = random.Random(f"latency::{model_key}::{prompt_key}")
    ms = (base + per_char * len(text)) * rng.uniform(0.85, 1.2) + rng.gauss(0, base * 0.05)
    if flag == "refusal":
        ms *= 0.6
    return int(round(min(hi, max(lo, ms))))


# ===========================================================================
# BUILD
# ===========================================================================

# Filled by build(): (prompt key, model name) -> "wrong" | "buggy-code" | "off-topic" | "refusal" | "english-reply"
DELIBERATELY_WRONG: dict[tuple[str, str], str] = {}


def forbidden_terms() -> list[str]:
    terms: set[str] = set()
    for prov in PROVIDERS:
        terms.update({prov["slug"], prov["name"]})
        terms.add(prov["name"].split()[0])  # coined first word, e.g. "Halcyra"
    for m in MODELS:
        terms.add(m["name"])
        terms.add(re.split(r"[\s-]", m["name"])[0])  # coined first word, e.g. "Aurelon"
    return sorted({t.lower() for t in terms})


def check_no_leaks(prompts: list[dict], answers: list[dict]) -> None:
    terms = forbidden_terms()
    for t in terms:
        assert len(t) >= 5, f"identity term too short to be safe: {t!r}"
    problems = []
    for where, text in [(f"prompt {p['key']}", p["text"]) for p in prompts] + [
        (f"answer {a['prompt']} / {a['model']}", a["text"]) for a in answers
    ]:
        low = text.lower()
        for t in terms:
            if t in low:
                problems.append(f"{where}: contains {t!r}")
    if problems:
        raise AssertionError("model/provider identity leaks:\n" + "\n".join(problems[:20]))


def build() -> dict:
    DELIBERATELY_WRONG.clear()
    keys = [p["key"] for p in PROMPTS]
    assert len(keys) == len(set(keys)), "duplicate prompt keys"
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in keys)
    for name in (m["name"] for m in MODELS):
        assert len(name) >= 5, name
    assert len({m["name"] for m in MODELS}) == len(MODELS)
    provider_slugs = {p["slug"] for p in PROVIDERS}
    assert all(m["provider"] in provider_slugs for m in MODELS)
    assert all(k in {p["key"] for p in PROMPTS} for k in REFUSALS)

    answers = []
    for p in PROMPTS:
        for m in MODELS:
            rng = random.Random(f"{m['key']}::{p['key']}")
            text, flag = STYLES[m["key"]](p, rng)
            text = text.strip()
            assert text, (p["key"], m["name"])
            assert "{code}" not in text, (p["key"], m["name"])
            if flag:
                DELIBERATELY_WRONG[(p["key"], m["name"])] = flag
            answers.append(
                {
                    "prompt": p["key"],
                    "model": m["name"],
                    "text": text,
                    "latency_ms": latency_ms(m["key"], p["key"], text, flag),
                }
            )

    prompts_out = [{k: p[k] for k in ("key", "text", "category", "language")} for p in PROMPTS]
    check_no_leaks(prompts_out, answers)
    models_out = [
        {k: m[k] for k in ("name", "provider", "description", "style", "true_strength")}
        for m in MODELS
    ]
    return {
        "providers": PROVIDERS,
        "models": models_out,
        "prompts": prompts_out,
        "answers": answers,
    }


def summarize(data: dict, size: int) -> None:
    print(f"wrote {OUT_PATH} ({size:,} bytes, {size / 1e6:.2f} MB)")
    print(f"providers: {len(data['providers'])}")
    print(f"models: {len(data['models'])}")
    for m in data["models"]:
        print(f"  {m['name']:<15} {m['provider']:<19} {m['true_strength']:>7.1f}  {m['style']}")
    print(f"prompts: {len(data['prompts'])}")
    print("  per category:", dict(sorted(Counter(p["category"] for p in data["prompts"]).items())))
    print("  per language:", dict(sorted(Counter(p["language"] for p in data["prompts"]).items())))
    print(f"answers: {len(data['answers'])}")
    by_model: dict[str, list[int]] = {}
    for a in data["answers"]:
        by_model.setdefault(a["model"], []).append(len(a["text"]))
    lat: dict[str, list[int]] = {}
    for a in data["answers"]:
        lat.setdefault(a["model"], []).append(a["latency_ms"])
    print("  mean answer length / latency per model:")
    for name, lens in by_model.items():
        ls = lat[name]
        print(
            f"    {name:<15} {sum(lens) / len(lens):7.0f} chars  {sum(ls) / len(ls):6.0f} ms (min {min(ls)}, max {max(ls)})"
        )
    flags = Counter(DELIBERATELY_WRONG.values())
    print("planted bad/unusual answers:", dict(sorted(flags.items())))


def main() -> int:
    data = build()
    payload = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    # sanity: the file round-trips and has the expected shape
    loaded = json.loads(payload)
    n_models, n_prompts = len(loaded["models"]), len(loaded["prompts"])
    assert n_models >= 8 and 140 <= n_prompts <= 160
    assert len(loaded["answers"]) == n_models * n_prompts
    assert len({(a["prompt"], a["model"]) for a in loaded["answers"]}) == n_models * n_prompts
    cats = Counter(p["category"] for p in loaded["prompts"])
    langs = Counter(p["language"] for p in loaded["prompts"])
    assert len(cats) >= 7 and langs["fr"] >= 20 and langs["es"] >= 3, (cats, langs)
    assert (
        langs["id"] >= 24
        and len({p["category"] for p in loaded["prompts"] if p["language"] == "id"}) == 7
    )
    OUT_PATH.write_text(payload, encoding="utf-8")
    size = OUT_PATH.stat().st_size
    assert size < 3_000_000, size
    summarize(loaded, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
