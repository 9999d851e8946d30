"""Word lists and catalogues the synthetic world is drawn from.

Everything here is plain data (tuples of strings); the code that samples from it lives in the other modules.
Orders matter: coefficient tuples in :mod:`leadscore.generator.config` are aligned with these tuples.
"""
from __future__ import annotations

INDUSTRIES: tuple[str, ...] = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
    "Media", "Education", "Telecommunications", "Transportation", "Energy",
)
INDUSTRY_SHARES: tuple[float, ...] = (0.22, 0.13, 0.11, 0.11, 0.10, 0.07, 0.07, 0.06, 0.07, 0.06)
SUB_INDUSTRIES: tuple[tuple[str, ...], ...] = (
    ("SaaS", "Developer Tools", "Cybersecurity", "Enterprise Software"),
    ("Banking", "Insurance", "Fintech", "Asset Management"),
    ("Hospitals", "Health Tech", "Pharmaceuticals", "Medical Devices"),
    ("eCommerce", "Consumer Goods", "Grocery", "Apparel"),
    ("Industrial Machinery", "Automotive", "Electronics", "Chemicals"),
    ("Publishing", "Streaming", "Advertising", "Gaming"),
    ("Higher Education", "EdTech", "K-12"),
    ("Wireless", "Broadband", "Telecom Equipment"),
    ("Logistics", "Airlines", "Freight"),
    ("Utilities", "Oil & Gas", "Renewables"),
)
# Second word of company names, by industry.
COMPANY_NOUNS: tuple[tuple[str, ...], ...] = (
    ("Software", "Labs", "Systems", "Cloud", "Technologies", "Apps"),
    ("Capital", "Financial", "Bank", "Insurance", "Payments", "Partners"),
    ("Health", "Medical", "Care", "Therapeutics", "Clinics", "Bio"),
    ("Retail", "Stores", "Goods", "Market", "Outfitters", "Brands"),
    ("Manufacturing", "Industries", "Robotics", "Works", "Components", "Machines"),
    ("Media", "Studios", "Publishing", "Entertainment", "Games", "Broadcasting"),
    ("Academy", "Learning", "University", "Education", "Institute", "School"),
    ("Telecom", "Networks", "Communications", "Wireless", "Connect", "Mobile"),
    ("Logistics", "Freight", "Transport", "Shipping", "Airways", "Fleet"),
    ("Energy", "Power", "Solar", "Utilities", "Resources", "Grid"),
)
COMPANY_ADJECTIVES: tuple[str, ...] = (
    "Acme", "Blue", "Summit", "Nimbus", "Apex", "Northwind", "Globex", "Initech", "Vertex", "Horizon",
    "Silver", "Redwood", "Granite", "Pioneer", "Quantum", "Evergreen", "Brightline", "Orbit", "Harbor", "Falcon",
    "Atlas", "Cobalt", "Crescent", "Delta", "Ember", "Frontier", "Helix", "Ironclad", "Juniper", "Keystone",
    "Lumen", "Maple", "Nova", "Oakridge", "Polaris", "Riverstone", "Sierra", "Tidal", "Unity", "Vantage",
    "Willow", "Zenith", "Aurora", "Beacon", "Cascade", "Driftwood", "Everest", "Fjord", "Golden", "Highland",
)
COMPANY_SUFFIXES: tuple[str, ...] = ("", " Inc.", " LLC", " Ltd", " Corp", " Group", " GmbH", " Co.")
COMPANY_SUFFIX_SHARES: tuple[float, ...] = (0.45, 0.18, 0.1, 0.08, 0.07, 0.06, 0.03, 0.03)

COUNTRIES: tuple[str, ...] = (
    "United States", "United Kingdom", "Germany", "Canada", "France", "Netherlands",
    "Australia", "India", "Brazil", "Sweden", "Spain",
)
COUNTRY_SHARES: tuple[float, ...] = (0.55, 0.09, 0.07, 0.06, 0.04, 0.03, 0.04, 0.04, 0.03, 0.02, 0.03)
COUNTRY_TLDS: tuple[str, ...] = (
    ".com", ".co.uk", ".de", ".ca", ".fr", ".nl", ".com.au", ".in", ".com.br", ".se", ".es",
)

TECHNOLOGIES: tuple[str, ...] = (
    "snowflake", "salesforce", "hubspot", "aws", "segment", "dbt", "looker", "bigquery", "databricks",
    "fivetran", "tableau", "gcp", "azure", "kafka", "airflow", "postgres", "mysql", "mongodb", "stripe",
    "zendesk", "marketo", "slack", "jira", "github", "shopify",
)
# Base log-odds of each technology at a 120-person company.
TECHNOLOGY_LOGITS: tuple[float, ...] = (
    -1.2, 0.2, -0.4, 0.6, -1.6, -1.8, -1.7, -1.5, -2.0, -2.1, -1.0, -0.6, -0.5, -1.7, -1.6, 0.0, -0.3,
    -1.2, -0.8, -0.6, -1.4, 1.0, 0.5, 0.6, -1.8,
)
# The ideal-customer technology list (the modern data stack).
ICP_TECHNOLOGIES: tuple[str, ...] = (
    "snowflake", "dbt", "aws", "segment", "looker", "bigquery", "databricks", "fivetran",
)

ACCOUNT_TYPES: tuple[str, ...] = ("Prospect", "Customer", "Partner", "Competitor")

SENIORITIES: tuple[str, ...] = ("intern_student", "individual_contributor", "manager", "director", "vp", "c_level")
DEPARTMENTS: tuple[str, ...] = (
    "engineering", "data", "it", "marketing", "sales", "finance", "operations", "hr", "other",
)
DEPARTMENT_LABELS: tuple[str, ...] = (
    "Engineering", "Data & Analytics", "IT", "Marketing", "Sales", "Finance", "Operations", "Human Resources", "Other",
)
TECHNICAL_DEPARTMENTS: tuple[int, ...] = (0, 1, 2)

# Department names as they appear inside titles ("Director of {}").
_DEPT_TITLE_WORDS: tuple[tuple[str, ...], ...] = (
    ("Engineering", "Software Engineering", "Platform Engineering"),
    ("Data", "Data & Analytics", "Analytics", "Data Engineering", "Business Intelligence"),
    ("IT", "Information Technology", "IT Operations", "Infrastructure"),
    ("Marketing", "Growth", "Demand Generation", "Digital Marketing"),
    ("Sales", "Revenue Operations", "Business Development"),
    ("Finance", "FP&A"),
    ("Operations", "Business Operations"),
    ("People", "Human Resources", "Talent"),
    ("Customer Success", "Product", "Legal", "Strategy"),
)
_INTERN_TEMPLATES = ("{} Intern", "Intern, {}", "{} Intern")
_MANAGER_TEMPLATES = ("{} Manager", "Manager, {}", "Manager of {}", "{} Team Lead", "Sr. Manager, {}")
_DIRECTOR_TEMPLATES = ("Director of {}", "Director, {}", "{} Director", "Sr. Director of {}", "Head of {}",
                       "Senior Director, {}")
_VP_TEMPLATES = ("VP of {}", "VP, {}", "Vice President of {}", "Vice President, {}", "SVP {}", "VP {}", "EVP, {}")
_IC_TITLES: tuple[tuple[str, ...], ...] = (
    ("Software Engineer", "Software Engineer II", "Senior Software Engineer", "Sr. Software Engineer",
     "Backend Developer", "Full Stack Developer", "Staff Engineer", "Principal Engineer", "DevOps Engineer",
     "Site Reliability Engineer", "software engineer"),
    ("Data Engineer", "Sr. Data Engineer", "Senior Data Engineer", "Data Analyst", "Analytics Engineer",
     "Data Scientist", "BI Developer", "Machine Learning Engineer", "Sr Analytics Engineer"),
    ("Systems Administrator", "IT Specialist", "Network Engineer", "IT Analyst", "Cloud Architect", "Sysadmin"),
    ("Marketing Specialist", "Growth Marketer", "Marketing Operations Specialist", "Marketing Coordinator",
     "SEO Specialist", "Content Strategist"),
    ("Account Executive", "Sales Development Representative", "SDR", "Sales Engineer", "Account Manager"),
    ("Financial Analyst", "Accountant", "Senior Accountant", "Controller"),
    ("Operations Analyst", "Business Analyst", "Project Coordinator", "Program Manager"),
    ("Recruiter", "HR Generalist", "Talent Acquisition Partner"),
    ("Consultant", "Product Analyst", "Customer Success Manager", "Paralegal", "Associate", "Analyst"),
)
_EXTRA_MANAGER_TITLES: tuple[tuple[str, ...], ...] = (
    ("Engineering Manager", "Tech Lead", "Software Development Manager"),
    ("Analytics Manager", "Data Engineering Manager", "BI Manager"),
    ("IT Manager",), (), (), (), (), (), (),
)
_C_LEVEL_TITLES: tuple[tuple[str, ...], ...] = (
    ("CTO", "Chief Technology Officer", "Co-Founder & CTO"),
    ("Chief Data Officer", "CDO", "Chief Analytics Officer"),
    ("CIO", "Chief Information Officer"),
    ("CMO", "Chief Marketing Officer"),
    ("CRO", "Chief Revenue Officer"),
    ("CFO", "Chief Financial Officer"),
    ("COO", "Chief Operating Officer"),
    ("Chief People Officer", "CHRO"),
    ("CEO", "Founder & CEO", "Co-Founder", "President", "Founder", "Owner", "Managing Director",
     "Chief Executive Officer", "founder/ceo"),
)
STUDENT_TITLES: tuple[str, ...] = (
    "Student", "Graduate Student", "PhD Student", "MBA Candidate", "Computer Science Student", "student",
)
# Odd endings people type into title fields.
TITLE_ODD_SUFFIXES: tuple[str, ...] = ("  ", " (Interim)", " | AWS", " & Analytics", "*", " / Security", ".")


def _title_groups() -> tuple[tuple[str, ...], ...]:
    """Titles per (seniority, department) group, flattened as ``seniority * len(DEPARTMENTS) + department``."""
    groups: list[tuple[str, ...]] = []
    for seniority in range(len(SENIORITIES)):
        for dept, words in enumerate(_DEPT_TITLE_WORDS):
            if seniority == 0:
                titles = [t.format(w) for t in _INTERN_TEMPLATES for w in words[:2]] + ["Summer Intern"]
            elif seniority == 1:
                titles = list(_IC_TITLES[dept])
            elif seniority == 2:
                titles = [t.format(w) for t in _MANAGER_TEMPLATES for w in words] + list(_EXTRA_MANAGER_TITLES[dept])
            elif seniority == 3:
                titles = [t.format(w) for t in _DIRECTOR_TEMPLATES for w in words]
            elif seniority == 4:
                titles = [t.format(w) for t in _VP_TEMPLATES for w in words]
            else:
                titles = list(_C_LEVEL_TITLES[dept])
            groups.append(tuple(titles))
    return tuple(groups)


TITLE_GROUPS: tuple[tuple[str, ...], ...] = _title_groups()

_ASCII = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "'": "", " ": "", "é": "e", "ã": "a"})


def email_slug(name: str) -> str:
    """The name as it appears in an email address (lower case ASCII, no spaces or apostrophes)."""
    return name.lower().translate(_ASCII)


FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Priya", "Wei", "Fatima", "Mohammed", "Ana", "Luis", "Sofia", "Mateo", "Hannah", "Lukas",
    "Emma", "Noah", "Olivia", "Liam", "Ava", "Ethan", "Mia", "Lucas", "Chloe", "Arjun",
    "Yuki", "Kenji", "Chen", "Mei", "Ahmed", "Aisha", "Ivan", "Olga", "Pierre", "Camille",
    "Sven", "Ingrid", "Diego", "Valentina", "Kwame", "Amara", "Rahul", "Ananya", "Tom", "Zoe",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Patel", "Kim", "Nguyen", "Chen", "Singh", "Müller", "Schmidt", "Dubois", "Rossi",
    "Okafor", "Mensah", "Tanaka", "Sato", "Ivanova", "Kowalski", "Johansson", "Silva", "Santos", "O'Brien",
    "Murphy", "Walsh", "Cohen", "Levi", "Khan", "Ali", "Wang", "Zhang", "Fischer", "van Dijk",
)
FIRST_NAME_SLUGS: tuple[str, ...] = tuple(email_slug(n) for n in FIRST_NAMES)
LAST_NAME_SLUGS: tuple[str, ...] = tuple(email_slug(n) for n in LAST_NAMES)
PERSONAL_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me",
)
PERSONAL_EMAIL_SHARES: tuple[float, ...] = (0.52, 0.15, 0.12, 0.1, 0.08, 0.03)
NO_COMPANY_VALUES: tuple[str, ...] = ("[not provided]", "n/a", "Self-employed", "none", "Freelance", "-")
UNIVERSITIES: tuple[str, ...] = ("Student", "State University", "University of Michigan", "TU München",
                                 "University College London", "IIT Bombay", "Universidade de São Paulo", "student")

LEAD_SOURCES: tuple[str, ...] = (
    "Web", "Webinar", "Paid Search", "Content Syndication", "Event", "Partner", "Outbound", "List Import",
)
LEAD_SOURCE_SHARES: tuple[float, ...] = (0.25, 0.11, 0.12, 0.10, 0.10, 0.06, 0.15, 0.11)
# Sources whose lead is created by a form on our own site (an identify call at creation).
WEB_FORM_SOURCES: tuple[int, ...] = (0, 1, 2)
DUPLICATE_PERSON_SOURCES: tuple[int, ...] = (3, 4, 7)
LEAD_STATUSES: tuple[str, ...] = ("Open", "Working", "Nurturing", "Unqualified", "Converted")

PRODUCT_INTERESTS: tuple[str, ...] = ("Analytics", "Data Integration", "Reverse ETL", "Governance", "Not sure")

# Web pages: (kind, path, title); kinds index PAGE_KINDS.
PAGE_KINDS: tuple[str, ...] = ("pricing", "docs", "case_study", "blog", "home", "product", "integrations", "careers")
_DOC_SLUGS = ("getting-started", "quickstart", "api/authentication", "api/rate-limits", "connectors/snowflake",
              "connectors/bigquery", "connectors/postgres", "transformations/dbt", "security/sso",
              "security/roles", "deployment/self-hosted", "sdk/python", "sdk/javascript", "troubleshooting",
              "changelog", "concepts/sync-modes")
_CASE_STUDY_SLUGS = ("northwind-retail", "globex-bank", "helix-health", "orbit-media", "summit-logistics",
                     "apex-software", "redwood-insurance", "nova-games", "atlas-energy", "cobalt-telecom")
_BLOG_SLUGS = ("modern-data-stack-2026", "reverse-etl-explained", "data-contracts-101", "cost-of-broken-pipelines",
               "how-we-built-our-warehouse", "self-serve-analytics", "data-quality-checklist", "dbt-best-practices",
               "cdp-vs-warehouse", "ai-ready-data", "hiring-your-first-data-engineer", "semantic-layers")
_PRODUCT_SLUGS = ("overview", "pipelines", "transformations", "activation", "governance", "security")
_CAREER_PATHS = ("/careers", "/careers/software-engineer", "/careers/account-executive", "/careers/internships")
SITE_URL = "https://www.example-saas.com"


def _slug_title(slug: str) -> str:
    return slug.split("/")[-1].replace("-", " ").title()


def _page_catalog() -> tuple[tuple[int, str, str], ...]:
    pages: list[tuple[int, str, str]] = [(0, "/pricing", "Pricing | Example SaaS"),
                                         (0, "/pricing/enterprise", "Enterprise Pricing | Example SaaS")]
    pages += [(1, f"/docs/{s}", f"{_slug_title(s)} | Docs") for s in _DOC_SLUGS]
    pages += [(2, f"/customers/{s}", f"How {_slug_title(s)} uses Example SaaS") for s in _CASE_STUDY_SLUGS]
    pages += [(3, f"/blog/{s}", f"{_slug_title(s)} | Blog") for s in _BLOG_SLUGS]
    pages += [(4, "/", "Example SaaS | The data platform for modern teams")]
    pages += [(5, f"/product/{s}", f"{_slug_title(s)} | Product") for s in _PRODUCT_SLUGS]
    pages += [(6, f"/integrations/{t}", f"{t.title()} Integration") for t in TECHNOLOGIES]
    pages += [(7, p, "Careers | Example SaaS") for p in _CAREER_PATHS]
    return tuple(pages)


PAGE_CATALOG: tuple[tuple[int, str, str], ...] = _page_catalog()
# Page mix of casual visitors who never identify themselves (by PAGE_KINDS).
ANONYMOUS_VISITOR_PAGE_SHARES: tuple[float, ...] = (0.03, 0.05, 0.05, 0.45, 0.3, 0.05, 0.02, 0.05)
REFERRERS: tuple[str | None, ...] = (
    None, "https://www.google.com/", "https://www.linkedin.com/", "https://www.example-saas.com/",
    "https://www.bing.com/", "https://news.ycombinator.com/", "https://twitter.com/", "https://mail.google.com/",
    "https://duckduckgo.com/",
)
REFERRER_SHARES: tuple[float, ...] = (0.28, 0.3, 0.1, 0.17, 0.04, 0.03, 0.03, 0.03, 0.02)

TRACK_EVENTS: tuple[str, ...] = (
    "pricing_calculator_used", "content_downloaded", "demo_requested", "webinar_registered",
    "webinar_attended", "form_submitted", "trial_started",
)
TRIAL_EVENTS: tuple[str, ...] = (
    "signup", "project_created", "teammate_invited", "integration_connected", "data_source_added",
    "dashboard_shared", "query_run", "api_key_created",
)
TRIAL_EVENT_SHARES: tuple[float, ...] = (0.0, 0.22, 0.12, 0.16, 0.14, 0.08, 0.22, 0.06)

TASK_SUBTYPES: tuple[str, ...] = ("Call", "Email", "Meeting")
TASK_SUBJECTS: tuple[tuple[str, ...], ...] = (
    ("Call", "Intro call", "Left voicemail", "Follow-up call", "Discovery call", "Cold call"),
    ("Email", "Follow-up email", "Sent case study", "Intro email", "Re: pricing question", "Checking in"),
    ("Meeting", "Discovery meeting", "Demo", "Technical deep dive", "Pricing review"),
)

INTENT_TOPICS: tuple[str, ...] = (
    "Data Integration", "ETL", "Data Warehousing", "Customer Data Platform", "Business Intelligence",
    "Data Governance", "Reverse ETL", "Marketing Analytics", "Cloud Migration", "Data Quality",
    "Analytics Engineering", "MLOps",
)
# How strongly each topic belongs to our product category (in-market accounts surge on these).
INTENT_TOPIC_RELEVANCE: tuple[float, ...] = (1.0, 0.9, 0.9, 0.6, 0.5, 0.5, 0.8, 0.3, 0.4, 0.6, 0.8, 0.2)

CAMPAIGN_TYPES: tuple[str, ...] = (
    "Webinar", "Content", "Event", "Paid Search", "Email", "Partner", "Content Syndication",
)
CAMPAIGN_COUNTS: tuple[int, ...] = (20, 12, 8, 6, 6, 4, 4)
CAMPAIGN_THEMES: tuple[str, ...] = (
    "Modern Data Stack", "Reverse ETL", "Data Quality", "Analytics Engineering", "Customer 360", "AI-ready Data",
    "Warehouse Costs", "Self-serve BI",
)
# Campaign type a lead source is attributed to (-1: none).
SOURCE_CAMPAIGN_TYPE: tuple[int, ...] = (-1, 0, 3, 6, 2, 5, -1, -1)
SOURCE_MEMBER_STATUS: tuple[str, ...] = ("Responded", "Registered", "Clicked", "Downloaded", "Attended", "Responded",
                                         "Responded", "Responded")

COMPETITOR_NAMES: tuple[str, ...] = ("DataPipe", "Streamly", "QuantaFlow", "Pipewise", "Loomdata")
FEEDBACK_NOTES: tuple[tuple[str, ...], ...] = (
    ("Not a fit, student project", "No budget, just browsing", "Wrong persona, no buying power",
     "Competitor doing research", "Tiny company, not our ICP"),
    ("Great fit, should have been hot", "Exec was ready to buy, score was low", "Hot account, whole team engaged",
     "Came in through a trial and moved fast"),
    ("Score matches what I saw", "Agree with the score", "Fair score", "Accurate"),
)
FEEDBACK_VERDICTS: tuple[str, ...] = ("too_high", "too_low", "correct")

# Call-transcript phrase banks. Speaker labels are part of the phrases.
SMALL_TALK: tuple[str, ...] = (
    "Rep: Thanks for making time today. Prospect: Sure, happy to chat.",
    "Rep: How's your week going? Prospect: Busy, but good.",
    "Rep: Hi, can you hear me okay? Prospect: Yes, loud and clear.",
    "Rep: Thanks for jumping on. Prospect: No problem, I have about thirty minutes.",
    "Rep: Did you have a good weekend? Prospect: Yeah, pretty relaxing, thanks.",
)
DISCOVERY_TALK: tuple[str, ...] = (
    "Rep: Can you tell me a bit about your team? Prospect: We're a small team covering engineering and analytics.",
    "Rep: What does your current setup look like? Prospect: A mix of scripts and a couple of tools.",
    "Rep: What made you reach out? Prospect: A colleague mentioned you.",
    "Rep: Walk me through how data flows today. Prospect: It mostly lands in the warehouse overnight.",
)
PAIN_PHRASES: tuple[str, ...] = (
    "Prospect: Honestly our pipelines keep breaking every other week.",
    "Prospect: Manual reporting takes days every month.",
    "Prospect: Our data is spread across too many tools.",
    "Prospect: The dashboards never match the numbers finance has.",
    "Prospect: We spend most of our engineering time maintaining connectors.",
    "Prospect: Schema changes upstream break everything downstream.",
)
BUDGET_PHRASES: tuple[str, ...] = (
    "Prospect: We have budget approved for this quarter.",
    "Prospect: Budget is already allocated for a tool like this.",
    "Prospect: I can sign off on this myself.",
    "Prospect: Our CFO already approved the spend.",
)
NO_BUDGET_PHRASES: tuple[str, ...] = (
    "Prospect: We don't have budget until next year.",
    "Prospect: I'd need to convince my boss, there's no budget yet.",
    "Prospect: Money is tight at the moment.",
)
TIMELINE_PHRASES: tuple[str, ...] = (
    "Prospect: We need this live by Q3.",
    "Prospect: We want to be up and running within a month.",
    "Prospect: Our contract with the current vendor ends in two months.",
    "Prospect: Leadership wants a decision by the end of the quarter.",
)
NO_TIMELINE_PHRASES: tuple[str, ...] = (
    "Prospect: There's no hard deadline, we're just exploring.",
    "Prospect: This is more of a next-year project.",
)
COMPETITOR_PHRASES: tuple[str, ...] = tuple(
    f"Prospect: We're also looking at {name}." for name in COMPETITOR_NAMES
) + tuple(f"Prospect: We currently use {name} but it's not working well." for name in COMPETITOR_NAMES[:3])
OBJECTION_PHRASES: tuple[str, ...] = (
    "Prospect: To be honest this is not a priority right now.",
    "Prospect: I'm mostly researching for a school project.",
    "Prospect: I'm just collecting information for now.",
)
CLOSING_TALK: tuple[str, ...] = (
    "Rep: I'll send over a recap and a few times for a technical deep dive. Prospect: Sounds good.",
    "Rep: Let's schedule a follow-up next week. Prospect: Works for me.",
    "Rep: I'll share some pricing info by email. Prospect: Great, thanks.",
    "Rep: Thanks again, talk soon. Prospect: Bye.",
)
OPPORTUNITY_SUFFIXES: tuple[str, ...] = (" - New Business", " - Platform", " - Pilot", " - Annual")
OPEN_STAGES: tuple[str, ...] = ("Qualification", "Discovery", "Proposal", "Negotiation")
