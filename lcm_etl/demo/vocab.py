"""Word lists the demo generator draws names from (fictional companies, real-looking courses)."""

from __future__ import annotations

# fmt: off
COMPANY_PREFIXES = (
    "Blue", "North", "Silver", "Summit", "Pioneer", "Granite", "Harbor", "Crescent", "Evergreen",
    "Iron", "Maple", "Quantum", "Redwood", "Sterling", "Vertex", "Atlas", "Beacon", "Cedar",
    "Coastal", "Delta", "Eastern", "Falcon", "Frontier", "Golden", "Horizon", "Juniper",
    "Keystone", "Lakeside", "Liberty", "Meridian", "Nimbus", "Oak", "Orion", "Pacific", "Pinnacle",
    "Prairie", "Radiant", "Riverbend", "Sapphire", "Sequoia", "Solstice", "Southern", "Spruce",
    "Stellar", "Tidewater", "Trident", "Union", "Valley", "Westfield", "Willow", "Zenith", "Amber",
    "Arctic", "Bright", "Cobalt", "Crimson", "Emerald", "Highland", "Ivory", "Jade",
)

COMPANY_CORES = (
    "River", "Peak", "Bridge", "Field", "Stone", "Point", "Wave", "Forge", "Gate", "Ridge",
    "Harbor", "Grove", "Crest", "Mill", "Works", "Path", "Bay", "Hill", "Lane", "Park", "Rock",
    "Spring", "Star", "Tower", "Vista", "Wind", "Wood", "Brook", "Cove", "Creek", "Dale", "Falls",
    "Glen", "Haven", "Lake", "Mesa", "Port", "Shore", "Trail", "Yard",
)

COMPANY_SUFFIXES = (
    "Analytics", "Logistics", "Health", "Bank", "Energy", "Systems", "Foods", "Consulting",
    "Insurance", "Manufacturing", "Telecom", "Retail", "Labs", "Partners", "Group", "Technologies",
)

COUNTRIES = (
    "US", "US", "US", "US", "GB", "CA", "DE", "IN", "AU", "FR", "NL", "BR", "SG", "JP",
)

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail",
    "Ethan", "Priya", "Arjun", "Mei", "Wei", "Yuki", "Hiroshi", "Fatima", "Omar", "Aisha",
    "Mohammed", "Sofia", "Mateo", "Camila", "Diego", "Lucia", "Carlos", "Ana", "Luis", "Chloe",
    "Daniel", "Grace", "Samuel", "Zoe", "David", "Nora", "Joseph", "Leila", "Ali", "Hannah",
    "Jonas", "Ingrid", "Lars", "Amara", "Kwame", "Nia", "Tariq", "Elena", "Ivan", "Olga", "Pavel",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Lewis", "Robinson", "Walker", "Patel", "Shah", "Kumar", "Singh", "Chen", "Wang",
    "Li", "Zhang", "Liu", "Tanaka", "Sato", "Suzuki", "Kim", "Park", "Nguyen", "Tran", "Okafor",
    "Mensah", "Haddad", "Rossi", "Bianchi", "Muller", "Schmidt", "Dubois", "Laurent", "Novak",
    "Ivanova", "Silva", "Santos", "Costa",
)

COURSE_ORGS = (
    "HarvardX", "MITx", "BerkeleyX", "DelftX", "edX", "IBM", "Microsoft", "UQx",
    "LinuxFoundationX", "GTx", "UBCx", "ColumbiaX", "MichiganX", "IMFx", "Wharton",
    "StanfordOnline", "CaltechX", "KULeuvenX", "EPFLx", "ANUx", "HKUx", "TsinghuaX", "RITx",
    "UCSanDiegoX", "PennX",
)

# (topic, course-code stem). Titles are "<prefix><topic>".
COURSE_TOPICS = (
    ("Computer Science", "CS"), ("Python Programming", "PY"), ("Data Science", "DS"),
    ("Machine Learning", "ML"), ("Artificial Intelligence", "AI"), ("Cloud Computing", "CLD"),
    ("Cybersecurity", "SEC"), ("Linux System Administration", "LFS"), ("Kubernetes", "K8S"),
    ("Web Development", "WEB"), ("JavaScript", "JS"), ("SQL and Relational Databases", "SQL"),
    ("Statistics", "STAT"), ("Probability", "PROB"), ("Linear Algebra", "LA"),
    ("Calculus", "CALC"), ("Financial Accounting", "ACCT"), ("Corporate Finance", "FIN"),
    ("Marketing Analytics", "MKT"), ("Project Management", "PM"), ("Agile Leadership", "AGL"),
    ("Supply Chain Management", "SCM"), ("Negotiation", "NEG"), ("Business Communication", "COMM"),
    ("Data Visualization", "VIZ"), ("Blockchain Fundamentals", "BC"), ("Quantum Computing", "QC"),
    ("Robotics", "ROB"), ("Circuits and Electronics", "EE"), ("Climate Science", "CLIM"),
    ("Sustainable Energy", "NRG"), ("Public Health", "PH"), ("Epidemiology", "EPI"),
    ("Nutrition Science", "NUT"), ("Psychology", "PSY"), ("Microeconomics", "ECON"),
    ("Macroeconomics", "MACRO"), ("Design Thinking", "DT"), ("User Experience Design", "UX"),
    ("Product Management", "PRD"), ("Entrepreneurship", "ENT"),
    ("Leadership and Management", "LDR"), ("Business Analytics", "BA"),
    ("Excel for Business", "XLS"), ("Power BI", "PBI"), ("Azure Fundamentals", "AZ"),
    ("DevOps Practices", "DEVOPS"), ("Software Testing", "QA"), ("Mobile App Development", "MOB"),
    ("Deep Learning", "DL"), ("Natural Language Processing", "NLP"), ("Computer Vision", "CV"),
    ("Algorithms and Data Structures", "ALGO"), ("Operating Systems", "OS"),
    ("Computer Networks", "NET"), ("Ethics in AI", "ETH"), ("Data Privacy and GDPR", "GDPR"),
    ("Genomics", "GEN"), ("Bioinformatics", "BIO"), ("Organic Chemistry", "CHEM"),
    ("Philosophy", "PHIL"), ("Creative Writing", "WRIT"), ("Spanish for Professionals", "SPAN"),
    ("Mandarin Chinese", "CHN"), ("Urban Planning", "URB"), ("Architecture", "ARCH"),
    ("Healthcare Management", "HCM"), ("Human Resources", "HR"), ("Digital Transformation", "DX"),
    ("Risk Management", "RISK"), ("International Law", "LAW"), ("Game Design", "GAME"),
)

COURSE_PREFIXES = (
    ("Introduction to ", "1"), ("Foundations of ", "2"), ("Applied ", "3"), ("Advanced ", "4"),
    ("", "5"), ("Principles of ", "6"),
)

COURSE_RUNS = (
    "1T2025", "2T2025", "3T2025", "1T2026", "2T2026", "3T2026",
)

# List prices in cents and their weights (most seats are verified certificates at $49–$499;
# a few executive-education seats cost more).
LIST_PRICES = (
    (4900, 5), (9900, 15), (14_900, 15), (19_900, 20), (24_900, 10), (29_900, 12), (34_900, 5),
    (39_900, 6), (49_900, 5), (79_900, 3), (149_900, 2), (250_000, 2),
)
# fmt: on
