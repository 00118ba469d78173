-- Copied from the lcm-etl reference material (written from the public Open edX sources cited below).
-- lcm-etl reads this subset; tests load this DDL into a real MariaDB to prove the extractor against it.
-- =====================================================================================================
-- ecommerce (Otto) database: the SUBSET an ETL needs to rebuild enterprise "learner credit" offers
-- (Oscar ConditionalOffer + enterprise Condition/Benefit) and their redemptions (orders, order
-- discounts, refunds), plus the users/products/courses they point at.
--
-- Dialect: MySQL 5.7+/8.0 and MariaDB 10.x. Tested: loads into MariaDB 10.11 (see report).
--
-- Sources (all public):
--   * openedx-unsupported/ecommerce (was openedx/ecommerce), snapshot 615fdee5 (2024-11-04).
--     Pins django-oscar==3.2, Django==3.2.25, mysqlclient (requirements/production.txt).
--   * django-oscar/django-oscar, tag 3.2 (commit 151dc053): src/oscar/apps/*/abstract_models.py.
--   * Column sets come from replaying every AddField/AlterField/RemoveField/RenameField in
--     ecommerce's own migration folders (ecommerce/extensions/<app>/migrations/, ecommerce/core/
--     migrations/, ecommerce/courses/migrations/). They were then cross-checked with the models.
--   * Column types were taken from Django 3.2's MySQL backend. A scratch Django 3.2.25 project
--     re-declared the final model state and ran it against MariaDB 10.11 (`SHOW CREATE TABLE`).
--
-- Conventions Django uses on MySQL/MariaDB (they apply to every table below):
--   * AutoField PK            -> int(11) NOT NULL AUTO_INCREMENT
--   * ForeignKey              -> <name>_id column (type of target PK) + index + FK constraint
--   * UUIDField               -> char(32), 32 lowercase hex chars, NO dashes
--                                (e.g. 'b4a1c0e2d3f94c7a9e1f2a3b4c5d6e7f'). The REST APIs render the same
--                                value dashed ('b4a1c0e2-d3f9-4c7a-9e1f-2a3b4c5d6e7f'). (Django >= 5.0
--                                on MariaDB >= 10.7 uses the native `uuid` type for NEW columns. This
--                                schema was built by Django 3.2 / MySQL, so it is char(32).)
--   * DateTimeField           -> datetime(6), stored in UTC (settings: USE_TZ=True, TIME_ZONE='UTC')
--   * DecimalField(12,2)      -> decimal(12,2)
--   * PositiveIntegerField    -> int(10) unsigned (Django >= 3.0 adds CHECK (col >= 0) only for
--                                columns created on servers that support CHECK. Omitted here.)
--   * BooleanField            -> tinyint(1)
--   * TextField               -> longtext;  CharField(n)/SlugField(n) -> varchar(n)
--   * blank=True without null=True means NOT NULL and the empty string '' when "unset".
--   * Django model defaults are applied by the ORM, NOT by the database. The real schema has no
--     DEFAULT clauses. The Django-side default is therefore noted in comments, and inserts must
--     give every NOT NULL column.
--   * Index/constraint names follow Django's naming scheme. Names in a long-lived production
--     database can differ (older Django versions hashed names differently). Do not depend on them.
--
-- Tables referenced by FK but NOT included (their *_id columns are kept, with no FK constraint):
--   basket_basket, order_billingaddress, order_shippingaddress, catalogue_catalog,
--   voucher_voucherset. Also left out: django-simple-history tables (offer_historicalconditionaloffer,
--   offer_historicalbenefit, offer_historicalcondition, order_historicalorderdiscount,
--   order_historicalline, order_historicalorder, refund_historicalrefund, ...). Each has the same
--   columns plus history_id, history_date, history_change_reason, history_type ('+','~','-') and
--   history_user_id. They can show when max_discount was changed (top-ups).
--   Also left out: the M2M tables offer_conditionaloffer_combinations, offer_range_*,
--   partner_partner_users and ecommerce_user_groups/_user_permissions.
-- =====================================================================================================


-- -----------------------------------------------------------------------------------------------------
-- django.contrib.sites Site. Referenced by offer/order/course/partner FKs.
-- Source: Django 3.2 django/contrib/sites/models.py :: Site (db_table django_site).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `django_site` (
  `id`     int(11)      NOT NULL AUTO_INCREMENT,
  `domain` varchar(100) NOT NULL,
  `name`   varchar(50)  NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `django_site_domain_a2e37b91_uniq` (`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Partner (e.g. 'edX'). ConditionalOffer.partner, Order.partner, Course.partner point here.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/partner/models.py :: Partner
--         (extends oscar 3.2 src/oscar/apps/partner/abstract_models.py :: AbstractPartner);
--         migrations ecommerce/extensions/partner/migrations/0001..0019.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `partner_partner` (
  `id`              int(11)      NOT NULL AUTO_INCREMENT,
  `code`            varchar(128) NOT NULL,               -- oscar AutoSlugField(populate_from='name'), unique
  `name`            varchar(128) NOT NULL,               -- blank allowed ('')
  `short_code`      varchar(8)   NOT NULL,               -- ecommerce addition, unique. Uppercased, it is the order-number
                                                         -- prefix (OrderNumberGenerator: '<SHORT_CODE>-<basket_id+100000>')
  `default_site_id` int(11)      DEFAULT NULL,           -- OneToOne -> django_site (ecommerce addition, migration 0013)
  PRIMARY KEY (`id`),
  UNIQUE KEY `code` (`code`),
  UNIQUE KEY `short_code` (`short_code`),
  UNIQUE KEY `default_site_id` (`default_site_id`),
  KEY `partner_partner_name_caa0c2ee` (`name`),
  CONSTRAINT `partner_partner_default_site_id_c5e08da3_fk_django_site_id`
    FOREIGN KEY (`default_site_id`) REFERENCES `django_site` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- ecommerce user (custom AUTH_USER_MODEL, db_table 'ecommerce_user'). Links to the LMS by lms_user_id.
-- Source: openedx-unsupported/ecommerce :: ecommerce/core/models.py :: User(AbstractUser), Meta.db_table;
--         migrations ecommerce/core/migrations/0001_initial.py, 0002, 0053_user_lms_user_id.py, 0058.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `ecommerce_user` (
  `id`               int(11)      NOT NULL AUTO_INCREMENT,
  `password`         varchar(128) NOT NULL,              -- usually an unusable hash ('!...'): login goes through LMS SSO
  `last_login`       datetime(6)  DEFAULT NULL,
  `is_superuser`     tinyint(1)   NOT NULL,
  `username`         varchar(150) NOT NULL,              -- = LMS username (unique)
  `first_name`       varchar(30)  NOT NULL,              -- kept at 30 chars on purpose (ecommerce override)
  `last_name`        varchar(30)  NOT NULL,              -- kept at 30 chars on purpose (ecommerce override)
  `email`            varchar(254) NOT NULL,              -- blank allowed; indexed
  `is_staff`         tinyint(1)   NOT NULL,
  `is_active`        tinyint(1)   NOT NULL,
  `date_joined`      datetime(6)  NOT NULL,
  `full_name`        varchar(255) DEFAULT NULL,
  `tracking_context` longtext     DEFAULT NULL,          -- jsonfield==3.1 JSONField (stored as text JSON)
  `lms_user_id`      int(11)      DEFAULT NULL,          -- LMS auth_user.id. NULL for old/unsynced users.
                                                         -- Join key to LMS enterprise_enterprisecustomeruser.user_id
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`),
  KEY `ecommerce_user_email_f3125e14` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Course (one row per course RUN; the PK is the course run key string).
-- Source: openedx-unsupported/ecommerce :: ecommerce/courses/models.py :: Course;
--         migrations ecommerce/courses/migrations/0001..0013 (id altered in 0012; partner made NOT NULL in 0010).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `courses_course` (
  `id`                    varchar(255) NOT NULL,         -- course run key, e.g. 'course-v1:edX+DemoX+Demo_Course'
  `name`                  varchar(255) NOT NULL,
  `thumbnail_url`         varchar(200) DEFAULT NULL,     -- URLField
  `verification_deadline` datetime(6)  DEFAULT NULL,
  `site_id`               int(11)      DEFAULT NULL,     -- FK django_site (PROTECT), nullable since migration 0009
  `created`               datetime(6)  DEFAULT NULL,     -- auto_now_add but nullable (rows pre-date the column)
  `modified`              datetime(6)  DEFAULT NULL,     -- auto_now
  `partner_id`            int(11)      NOT NULL,         -- FK partner_partner (PROTECT)
  PRIMARY KEY (`id`),
  KEY `courses_course_partner_id_a64c9b38_fk_partner_partner_id` (`partner_id`),
  KEY `courses_course_site_id_af38aac5_fk_django_site_id` (`site_id`),
  CONSTRAINT `courses_course_partner_id_a64c9b38_fk_partner_partner_id`
    FOREIGN KEY (`partner_id`) REFERENCES `partner_partner` (`id`),
  CONSTRAINT `courses_course_site_id_af38aac5_fk_django_site_id`
    FOREIGN KEY (`site_id`) REFERENCES `django_site` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Product class: 'Seat', 'Enrollment Code', 'Course Entitlement', 'Coupon', ...
-- (names: ecommerce/core/constants.py :: SEAT_PRODUCT_CLASS_NAME etc.)
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/catalogue/models.py :: ProductClass
--         (oscar 3.2 AbstractProductClass); migrations ecommerce/extensions/catalogue/migrations/0001.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `catalogue_productclass` (
  `id`                int(11)      NOT NULL AUTO_INCREMENT,
  `name`              varchar(128) NOT NULL,
  `slug`              varchar(128) NOT NULL,             -- AutoSlugField, unique
  `requires_shipping` tinyint(1)   NOT NULL,
  `track_stock`       tinyint(1)   NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `slug` (`slug`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Product. A course "seat" is a CHILD product (structure='child', product_class_id NULL, parent_id ->
-- the course's PARENT seat product, which carries product_class 'Seat'). Seat details (certificate_type,
-- course_key, id_verification_required) are Oscar EAV rows in catalogue_productattributevalue (not
-- included). course_id is set on both parent and child seats (Course.create_or_update_seat).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/catalogue/models.py :: Product
--         (oscar 3.2 src/oscar/apps/catalogue/abstract_models.py :: AbstractProduct);
--         migrations ecommerce/extensions/catalogue/migrations/0001..0057.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `catalogue_product` (
  `id`               int(11)      NOT NULL AUTO_INCREMENT,
  `structure`        varchar(10)  NOT NULL,              -- 'standalone' | 'parent' | 'child' (Django default 'standalone')
  `upc`              varchar(64)  DEFAULT NULL,          -- oscar NullCharField (stores NULL for ''), unique
  `title`            varchar(255) NOT NULL,              -- e.g. 'Seat in Demo Course with verified certificate (and ID verification)'
  `slug`             varchar(255) NOT NULL,              -- not unique (altered in 0057)
  `description`      longtext     NOT NULL,
  `rating`           double       DEFAULT NULL,
  `date_created`     datetime(6)  NOT NULL,
  `date_updated`     datetime(6)  NOT NULL,
  `is_discountable`  tinyint(1)   NOT NULL,
  `parent_id`        int(11)      DEFAULT NULL,          -- FK catalogue_product (self)
  `product_class_id` int(11)      DEFAULT NULL,          -- FK catalogue_productclass (PROTECT). NULL on child products
  `course_id`        varchar(255) DEFAULT NULL,          -- FK courses_course (ecommerce addition, migration 0003)
  `expires`          datetime(6)  DEFAULT NULL,          -- ecommerce addition: last purchasable datetime
  `is_public`        tinyint(1)   NOT NULL,              -- oscar 3.x
  `meta_description` longtext     DEFAULT NULL,          -- oscar 3.x (migration 0056)
  `meta_title`       varchar(255) DEFAULT NULL,          -- oscar 3.x (migration 0056)
  PRIMARY KEY (`id`),
  UNIQUE KEY `upc` (`upc`),
  KEY `catalogue_product_slug_c8e2e2b9` (`slug`),
  KEY `catalogue_product_date_created_d66f485a` (`date_created`),
  KEY `catalogue_product_date_updated_d3a1785d` (`date_updated`),
  KEY `catalogue_product_is_public_1cf798c5` (`is_public`),
  KEY `catalogue_product_course_id_1918bc6b_fk_courses_course_id` (`course_id`),
  KEY `catalogue_product_parent_id_9bfd2382_fk_catalogue_product_id` (`parent_id`),
  KEY `catalogue_product_product_class_id_0c6c5b54_fk_catalogue` (`product_class_id`),
  CONSTRAINT `catalogue_product_course_id_1918bc6b_fk_courses_course_id`
    FOREIGN KEY (`course_id`) REFERENCES `courses_course` (`id`),
  CONSTRAINT `catalogue_product_parent_id_9bfd2382_fk_catalogue_product_id`
    FOREIGN KEY (`parent_id`) REFERENCES `catalogue_product` (`id`),
  CONSTRAINT `catalogue_product_product_class_id_0c6c5b54_fk_catalogue`
    FOREIGN KEY (`product_class_id`) REFERENCES `catalogue_productclass` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Stock record = the price of a product for a partner (the seat's list price). order_line.stockrecord_id
-- points here.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/partner/models.py :: StockRecord
--         (oscar 3.2 AbstractStockRecord); migrations ecommerce/extensions/partner/migrations/0001..0019
--         (0019 removed cost_price/price_retail and renamed price_excl_tax -> price).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `partner_stockrecord` (
  `id`                  int(11)          NOT NULL AUTO_INCREMENT,
  `partner_sku`         varchar(128)     NOT NULL,        -- e.g. '8CF08E5' (ecommerce generate_sku)
  `price_currency`      varchar(12)      NOT NULL,        -- Django default oscar get_default_currency() -> 'USD'
  `num_in_stock`        int(10) unsigned DEFAULT NULL,
  `num_allocated`       int(11)          DEFAULT NULL,
  `low_stock_threshold` int(10) unsigned DEFAULT NULL,
  `date_created`        datetime(6)      NOT NULL,
  `date_updated`        datetime(6)      NOT NULL,
  `partner_id`          int(11)          NOT NULL,        -- FK partner_partner
  `product_id`          int(11)          NOT NULL,        -- FK catalogue_product
  `price`               decimal(12,2)    DEFAULT NULL,    -- list price (was price_excl_tax before migration 0019)
  PRIMARY KEY (`id`),
  UNIQUE KEY `partner_stockrecord_partner_id_partner_sku_8441e010_uniq` (`partner_id`, `partner_sku`),
  KEY `partner_stockrecord_product_id_62fd9e45_fk_catalogue_product_id` (`product_id`),
  KEY `partner_stockrecord_date_updated_e6ae5f14` (`date_updated`),
  CONSTRAINT `partner_stockrecord_partner_id_4155a586_fk_partner_partner_id`
    FOREIGN KEY (`partner_id`) REFERENCES `partner_partner` (`id`),
  CONSTRAINT `partner_stockrecord_product_id_62fd9e45_fk_catalogue_product_id`
    FOREIGN KEY (`product_id`) REFERENCES `catalogue_product` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Enterprise contract metadata (1:1 from offer_conditionaloffer.enterprise_contract_metadata_id).
-- EnterpriseOfferForm.save() fills it: contract discount type/value and prepaid invoice amount.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/payment/models.py :: EnterpriseContractMetadata
--         (TimeStampedModel); migration ecommerce/extensions/payment/migrations/0022_auto_20191120_2106.py.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `payment_enterprisecontractmetadata` (
  `id`             int(11)       NOT NULL AUTO_INCREMENT,
  `created`        datetime(6)   NOT NULL,              -- django_extensions CreationDateTimeField
  `modified`       datetime(6)   NOT NULL,              -- django_extensions ModificationDateTimeField
  `amount_paid`    decimal(12,2) DEFAULT NULL,          -- prepaid invoice amount (USD)
  `discount_value` decimal(15,5) DEFAULT NULL,          -- contract discount
  `discount_type`  varchar(255)  NOT NULL,              -- 'Percentage' | 'Absolute' (Django default 'Percentage')
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Oscar Range. Included only because offer_condition.range_id / offer_benefit.range_id reference it.
-- Enterprise learner-credit offers have NO range (range_id IS NULL): the enterprise condition checks the
-- enterprise catalog over HTTP instead (ConditionWithoutRangeMixin / BenefitWithoutRangeMixin).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/offer/models.py :: Range
--         (oscar 3.2 AbstractRange); migrations ecommerce/extensions/offer/migrations/0001..0055.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `offer_range` (
  `id`                          int(11)          NOT NULL AUTO_INCREMENT,
  `name`                        varchar(128)     NOT NULL,
  `slug`                        varchar(128)     NOT NULL,
  `description`                 longtext         NOT NULL,
  `is_public`                   tinyint(1)       NOT NULL,
  `includes_all_products`       tinyint(1)       NOT NULL,
  `proxy_class`                 varchar(255)     DEFAULT NULL,   -- NullCharField, unique
  `date_created`                datetime(6)      NOT NULL,
  `catalog_id`                  int(11)          DEFAULT NULL,   -- FK catalogue_catalog (table not included)
  `catalog_query`               longtext         DEFAULT NULL,
  `course_seat_types`           varchar(255)     DEFAULT NULL,   -- comma list of 'credit','professional','verified'
  `course_catalog`              int(10) unsigned DEFAULT NULL,   -- discovery catalog id
  `enterprise_customer`         char(32)         DEFAULT NULL,   -- UUIDField (coupon ranges)
  `enterprise_customer_catalog` char(32)         DEFAULT NULL,   -- UUIDField (coupon ranges)
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`),
  UNIQUE KEY `slug` (`slug`),
  UNIQUE KEY `proxy_class` (`proxy_class`),
  KEY `offer_range_catalog_id_10237996` (`catalog_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Condition. For learner-credit ("enterprise offer") rows:
--   proxy_class = 'ecommerce.enterprise.conditions.EnterpriseCustomerCondition'
--     (written by ecommerce/programs/custom.py :: create_condition / class_path in
--      ecommerce/enterprise/forms.py :: EnterpriseOfferForm.save)
--   type = '' , value = NULL , range_id = NULL
--   enterprise_customer_uuid / _name / _catalog_uuid are set.
-- Other proxy classes that also carry enterprise_customer_uuid, which the ETL must NOT treat as
-- learner credit:
--   'ecommerce.enterprise.conditions.AssignableEnterpriseCustomerCondition' (enterprise coupon codes;
--      offer_type='Voucher')
--   'ecommerce.extensions.order.conditions.ManualEnrollmentOrderDiscountCondition' (manual enrollment
--      orders; offer_type='User', priority 100)
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/offer/models.py :: Condition
--         (oscar 3.2 AbstractCondition); ecommerce/enterprise/conditions.py; migrations
--         ecommerce/extensions/offer/migrations/0001, 0011, 0012, 0015, 0026, 0039.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `offer_condition` (
  `id`                               int(11)       NOT NULL AUTO_INCREMENT,
  `type`                             varchar(128)  NOT NULL,   -- oscar: 'Count'|'Value'|'Coverage'; '' for proxy-class conditions
  `value`                            decimal(12,2) DEFAULT NULL,  -- oscar PositiveDecimalField
  `proxy_class`                      varchar(255)  DEFAULT NULL,  -- dotted class path (see above); NULL for plain oscar conditions
  `range_id`                         int(11)       DEFAULT NULL,  -- FK offer_range; NULL for enterprise conditions
  `program_uuid`                     char(32)      DEFAULT NULL,  -- UUIDField, indexed (program offers)
  `enterprise_customer_catalog_uuid` char(32)      DEFAULT NULL,  -- UUIDField: enterprise catalog the offer is limited to
  `enterprise_customer_name`         varchar(255)  DEFAULT NULL,  -- denormalised customer name (used by display_name)
  `enterprise_customer_uuid`         char(32)      DEFAULT NULL,  -- UUIDField, indexed: THE owner of the offer
  PRIMARY KEY (`id`),
  KEY `offer_condition_program_uuid_c7867a22` (`program_uuid`),
  KEY `offer_condition_enterprise_customer_uuid_59cd657e` (`enterprise_customer_uuid`),
  KEY `offer_condition_range_id_b023a2aa_fk_offer_range_id` (`range_id`),
  KEY `offer_condi_enterpr_611782_idx` (`enterprise_customer_uuid`, `program_uuid`),  -- migration 0039 AddIndex
  CONSTRAINT `offer_condition_range_id_b023a2aa_fk_offer_range_id`
    FOREIGN KEY (`range_id`) REFERENCES `offer_range` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Benefit. For learner-credit offers (EnterpriseOfferForm.save sets proxy_class + value only):
--   proxy_class = 'ecommerce.enterprise.benefits.EnterprisePercentageDiscountBenefit'  -> usage_type 'Percentage'
--              or 'ecommerce.enterprise.benefits.EnterpriseAbsoluteDiscountBenefit'    -> usage_type 'Absolute'
--   type = ''  (the API's usage_type is derived from the proxy class: ecommerce/extensions/offer/utils.py ::
--               get_benefit_type -> proxy().benefit_class_type, ecommerce/extensions/offer/mixins.py)
--   value = percent (0 < v <= 100; form rejects > 100) or USD amount
--   range_id = NULL
-- The same two proxy paths are hard-coded in ecommerce/extensions/api/filters.py :: OfferApiFilter
-- (usage_type=percentage|absolute).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/offer/models.py :: Benefit
--         (oscar 3.2 AbstractBenefit); ecommerce/enterprise/benefits.py :: BENEFIT_MAP;
--         migrations ecommerce/extensions/offer/migrations/0001, 0010.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `offer_benefit` (
  `id`                 int(11)          NOT NULL AUTO_INCREMENT,
  `type`               varchar(128)     NOT NULL,   -- oscar: 'Percentage'|'Absolute'|'Multibuy'|'Fixed price'|'Shipping ...'; '' for proxy benefits
  `value`              decimal(12,2)    DEFAULT NULL,
  `max_affected_items` int(10) unsigned DEFAULT NULL,
  `proxy_class`        varchar(255)     DEFAULT NULL,
  `range_id`           int(11)          DEFAULT NULL,  -- FK offer_range; NULL for enterprise benefits
  PRIMARY KEY (`id`),
  KEY `offer_benefit_range_id_ab19c5ab_fk_offer_range_id` (`range_id`),
  CONSTRAINT `offer_benefit_range_id_ab19c5ab_fk_offer_range_id`
    FOREIGN KEY (`range_id`) REFERENCES `offer_range` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- ConditionalOffer = the learner-credit "offer" (one budget). An enterprise learner-credit offer is:
--   offer_type = 'Site' AND its offer_condition.enterprise_customer_uuid IS NOT NULL
--   (ecommerce/extensions/api/v2/views/enterprise.py :: BaseOfferApiViewSet.get_queryset also filters on
--    partner = site partner). EnterpriseOfferForm.save sets status='Open', offer_type='Site',
--   max_basket_applications=1, priority=10 (OFFER_PRIORITY_ENTERPRISE), partner, sales_force_id, ...
--   The name is auto-generated and unique:
--   'Discount of type Site provided by <enterprise name[:48]> for <catalog uuid>.'
-- Counters (total_discount, num_applications, num_orders) are updated by oscar record_usage() at order
-- placement: num_applications += freq, total_discount += discount, num_orders += 1. They are reversed
-- by ecommerce/extensions/refund/models.py :: Refund._issue_credit_for_enterprise_offer, but only for
-- full-order refunds approved after that code shipped (PR #3720, 2022-05).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/offer/models.py :: ConditionalOffer
--         (oscar 3.2 src/oscar/apps/offer/abstract_models.py :: AbstractConditionalOffer);
--         migrations ecommerce/extensions/offer/migrations/0001, 0005, 0014, 0016, 0018, 0027, 0029,
--         0033, 0036, 0041, 0053, 0054, 0055.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `offer_conditionaloffer` (
  `id`                               int(11)          NOT NULL AUTO_INCREMENT,  -- the "offer_id" used everywhere downstream
  `name`                             varchar(128)     NOT NULL,   -- unique
  `slug`                             varchar(128)     NOT NULL,   -- AutoSlugField(populate_from='name'), unique
  `description`                      longtext         NOT NULL,   -- '' when unset
  `offer_type`                       varchar(128)     NOT NULL,   -- 'Site' | 'Voucher' | 'User' | 'Session' (Django default 'Site').
                                                                  -- Learner credit = 'Site'; enterprise coupons = 'Voucher'
  `status`                           varchar(64)      NOT NULL,   -- 'Open' | 'Suspended' | 'Consumed' (Django default 'Open').
                                                                  -- oscar save(): unless Suspended, set to 'Consumed' when
                                                                  -- get_max_applications()==0 (e.g. total_discount >= max_discount),
                                                                  -- otherwise 'Open'
  `priority`                         int(11)          NOT NULL,   -- indexed; enterprise offers = 10 (voucher 20, manual order 100)
  `start_datetime`                   datetime(6)      DEFAULT NULL,  -- NULL = no start bound
  `end_datetime`                     datetime(6)      DEFAULT NULL,  -- NULL = no end bound
  `max_global_applications`          int(10) unsigned DEFAULT NULL,  -- "Enrollment Limit" (NULL = none)
  `max_user_applications`            int(10) unsigned DEFAULT NULL,  -- "Per User Enrollment Limit"
  `max_basket_applications`          int(10) unsigned DEFAULT NULL,  -- enterprise form forces 1
  `max_discount`                     decimal(12,2)    DEFAULT NULL,  -- "Bookings Limit": org-wide budget in USD (NULL = uncapped)
  `total_discount`                   decimal(12,2)    NOT NULL,   -- running USD total redeemed (Django default 0.00)
  `num_applications`                 int(10) unsigned NOT NULL,   -- running count (Django default 0)
  `num_orders`                       int(10) unsigned NOT NULL,   -- running count (Django default 0)
  `redirect_url`                     varchar(200)     NOT NULL,   -- oscar ExtendedURLField; '' when unset
  `date_created`                     datetime(6)      NOT NULL,   -- auto_now_add
  `benefit_id`                       int(11)          NOT NULL,   -- FK offer_benefit (CASCADE)
  `condition_id`                     int(11)          NOT NULL,   -- FK offer_condition (CASCADE)
  `email_domains`                    varchar(255)     DEFAULT NULL,  -- ecommerce: comma list restricting learner email domains
  `site_id`                          int(11)          DEFAULT NULL,  -- ecommerce: FK django_site (usually NULL for enterprise offers)
  `partner_id`                       int(11)          DEFAULT NULL,  -- ecommerce: FK partner_partner
  `exclusive`                        tinyint(1)       NOT NULL,   -- oscar 2.x+: Django default 1 (migration 0027)
  `enterprise_contract_metadata_id`  int(11)          DEFAULT NULL,  -- ecommerce: OneToOne payment_enterprisecontractmetadata
  `sales_force_id`                   varchar(30)      DEFAULT NULL,  -- ecommerce: Salesforce opportunity id
  `max_user_discount`                decimal(12,2)    DEFAULT NULL,  -- ecommerce (0036): "Per User Bookings Limit" in USD
  `emails_for_usage_alert`           longtext         NOT NULL,   -- ecommerce (0041): comma-separated emails; '' when unset
  `usage_email_frequency`            varchar(8)       NOT NULL,   -- ecommerce (0041): 'DAILY' | 'WEEKLY' | 'MONTHLY' (Django default 'DAILY')
  `salesforce_opportunity_line_item` varchar(30)      DEFAULT NULL,  -- ecommerce (0053)
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`),
  UNIQUE KEY `slug` (`slug`),
  UNIQUE KEY `enterprise_contract_metadata_id` (`enterprise_contract_metadata_id`),
  KEY `offer_conditionaloffer_benefit_id_f43f68b5_fk_offer_benefit_id` (`benefit_id`),
  KEY `offer_conditionaloff_condition_id_e6baa945_fk_offer_con` (`condition_id`),
  KEY `offer_conditionaloffer_priority_4c2fc582` (`priority`),
  KEY `offer_conditionaloffer_partner_id_49d043f6_fk_partner_partner_id` (`partner_id`),
  KEY `offer_conditionaloffer_site_id_4409fcc5_fk_django_site_id` (`site_id`),
  CONSTRAINT `offer_conditionaloff_condition_id_e6baa945_fk_offer_con`
    FOREIGN KEY (`condition_id`) REFERENCES `offer_condition` (`id`),
  CONSTRAINT `offer_conditionaloff_enterprise_contract__d5cbdcd5_fk_payment_e`
    FOREIGN KEY (`enterprise_contract_metadata_id`) REFERENCES `payment_enterprisecontractmetadata` (`id`),
  CONSTRAINT `offer_conditionaloffer_benefit_id_f43f68b5_fk_offer_benefit_id`
    FOREIGN KEY (`benefit_id`) REFERENCES `offer_benefit` (`id`),
  CONSTRAINT `offer_conditionaloffer_partner_id_49d043f6_fk_partner_partner_id`
    FOREIGN KEY (`partner_id`) REFERENCES `partner_partner` (`id`),
  CONSTRAINT `offer_conditionaloffer_site_id_4409fcc5_fk_django_site_id`
    FOREIGN KEY (`site_id`) REFERENCES `django_site` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Voucher (coupon code). Learner-credit Site offers have NO vouchers. Vouchers belong to coupon offers
-- (offer_type='Voucher'). Included so the ETL can recognise and exclude coupon redemptions
-- (order_orderdiscount.voucher_id / voucher_code non-empty).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/voucher/models.py :: Voucher
--         (oscar 3.2 src/oscar/apps/voucher/abstract_models.py :: AbstractVoucher);
--         migrations ecommerce/extensions/voucher/migrations/0001..0014.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `voucher_voucher` (
  `id`                   int(11)          NOT NULL AUTO_INCREMENT,
  `name`                 varchar(128)     NOT NULL,   -- unique since migration 0013/0014
  `code`                 varchar(128)     NOT NULL,   -- unique
  `usage`                varchar(128)     NOT NULL,   -- 'Single use' | 'Multi-use' | 'Once per customer' | 'Multi-use-per-Customer'
  `start_datetime`       datetime(6)      NOT NULL,
  `end_datetime`         datetime(6)      NOT NULL,
  `num_basket_additions` int(10) unsigned NOT NULL,
  `num_orders`           int(10) unsigned NOT NULL,
  `total_discount`       decimal(12,2)    NOT NULL,
  `date_created`         datetime(6)      NOT NULL,
  `voucher_set_id`       int(11)          DEFAULT NULL,  -- FK voucher_voucherset (table not included)
  `is_public`            tinyint(1)       NOT NULL,      -- ecommerce addition (0012)
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`),
  UNIQUE KEY `code` (`code`),
  KEY `voucher_voucher_start_datetime_bfb7df84` (`start_datetime`),
  KEY `voucher_voucher_end_datetime_db182297` (`end_datetime`),
  KEY `voucher_voucher_date_created_f3081a03` (`date_created`),
  KEY `voucher_voucher_voucher_set_id_17b96a54` (`voucher_set_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Voucher <-> offer M2M. Real name: voucher_voucher_offers (Django auto-created table for
-- Voucher.offers = ManyToManyField('offer.ConditionalOffer'); no custom through/db_table).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/voucher/migrations/0001_initial.py
--         ('offers' ManyToManyField), altered in 0011_auto_20200403_2046.py (limit_choices_to only).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `voucher_voucher_offers` (
  `id`                  int(11) NOT NULL AUTO_INCREMENT,
  `voucher_id`          int(11) NOT NULL,
  `conditionaloffer_id` int(11) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `voucher_voucher_offers_voucher_id_conditionalof_01628a7f_uniq` (`voucher_id`, `conditionaloffer_id`),
  KEY `voucher_voucher_offe_conditionaloffer_id_f9682bfb_fk_offer_con` (`conditionaloffer_id`),
  CONSTRAINT `voucher_voucher_offe_conditionaloffer_id_f9682bfb_fk_offer_con`
    FOREIGN KEY (`conditionaloffer_id`) REFERENCES `offer_conditionaloffer` (`id`),
  CONSTRAINT `voucher_voucher_offers_voucher_id_7f9c575d_fk_voucher_voucher_id`
    FOREIGN KEY (`voucher_id`) REFERENCES `voucher_voucher` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Order. A learner-credit redemption is an order whose order_orderdiscount row points at the offer.
-- Status values (ecommerce/extensions/fulfillment/status.py :: ORDER):
--   'Open', 'Pending', 'Fulfillment Error', 'Payment Error', 'Complete'.
--   ecommerce only counts status='Complete' orders as spend (ecommerce/enterprise/forms.py ::
--   EnterpriseOfferForm.clean_max_user_* and ecommerce/enterprise/conditions.py ::
--   sum_user_discounts_for_offer). Both also exclude orders that have a refund with status 'Complete'.
-- number = '<PARTNER SHORT_CODE>-<basket_id + 100000>' (ecommerce/extensions/order/utils.py ::
--   OrderNumberGenerator), e.g. 'EDX-123456'.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/order/models.py :: Order
--         (oscar 3.2 src/oscar/apps/order/abstract_models.py :: AbstractOrder);
--         migrations ecommerce/extensions/order/migrations/0001..0028.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `order_order` (
  `id`                  int(11)       NOT NULL AUTO_INCREMENT,
  `number`              varchar(128)  NOT NULL,     -- unique
  `currency`            varchar(12)   NOT NULL,     -- 'USD' (Django default oscar get_default_currency)
  `total_incl_tax`      decimal(12,2) NOT NULL,     -- amount the learner paid (0.00 for a 100% offer)
  `total_excl_tax`      decimal(12,2) NOT NULL,
  `shipping_incl_tax`   decimal(12,2) NOT NULL,     -- Django default 0
  `shipping_excl_tax`   decimal(12,2) NOT NULL,     -- Django default 0
  `shipping_method`     varchar(128)  NOT NULL,     -- '' or e.g. 'No shipping required'
  `shipping_code`       varchar(128)  NOT NULL,     -- '' or e.g. 'no-shipping-required'
  `status`              varchar(100)  NOT NULL,     -- see header ('Complete' = counted)
  `guest_email`         varchar(254)  NOT NULL,     -- '' for authenticated orders
  `date_placed`         datetime(6)   NOT NULL,     -- indexed; redemption timestamp
  `basket_id`           int(11)       DEFAULT NULL, -- FK basket_basket (SET_NULL; table not included)
  `billing_address_id`  int(11)       DEFAULT NULL, -- FK order_billingaddress (table not included)
  `shipping_address_id` int(11)       DEFAULT NULL, -- FK order_shippingaddress (table not included)
  `site_id`             int(11)       DEFAULT NULL, -- FK django_site (SET_NULL)
  `user_id`             int(11)       DEFAULT NULL, -- FK ecommerce_user (SET_NULL): the learner
  `partner_id`          int(11)       DEFAULT NULL, -- ecommerce addition (0017): FK partner_partner
  PRIMARY KEY (`id`),
  UNIQUE KEY `number` (`number`),
  KEY `order_order_date_placed_506a9365` (`date_placed`),
  KEY `order_order_basket_id_8b0acbb2` (`basket_id`),
  KEY `order_order_billing_address_id_8fe537cf` (`billing_address_id`),
  KEY `order_order_shipping_address_id_57e64931` (`shipping_address_id`),
  KEY `order_order_partner_id_0195eb6a_fk_partner_partner_id` (`partner_id`),
  KEY `order_order_site_id_e27f3526_fk_django_site_id` (`site_id`),
  KEY `order_order_user_id_7cf9bc2b_fk_ecommerce_user_id` (`user_id`),
  CONSTRAINT `order_order_partner_id_0195eb6a_fk_partner_partner_id`
    FOREIGN KEY (`partner_id`) REFERENCES `partner_partner` (`id`),
  CONSTRAINT `order_order_site_id_e27f3526_fk_django_site_id`
    FOREIGN KEY (`site_id`) REFERENCES `django_site` (`id`),
  CONSTRAINT `order_order_user_id_7cf9bc2b_fk_ecommerce_user_id`
    FOREIGN KEY (`user_id`) REFERENCES `ecommerce_user` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Order line (one per purchased product; a learner-credit enrollment order normally has exactly one
-- line, because enterprise offers use max_basket_applications=1).
-- Line status values (ecommerce/extensions/fulfillment/status.py :: LINE): 'Open', 'Complete',
--   'Fulfillment Configuration Error', 'Fulfillment Network Error', 'Fulfillment Timeout Error',
--   'Fulfillment Server Error'.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/order/models.py :: Line
--         (oscar 3.2 AbstractLine); migrations ecommerce/extensions/order/migrations/0001, 0021, 0026
--         (0026 removed est_dispatch_date, unit_cost_price, unit_retail_price).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `order_line` (
  `id`                                     int(11)          NOT NULL AUTO_INCREMENT,
  `partner_name`                           varchar(128)     NOT NULL,
  `partner_sku`                            varchar(128)     NOT NULL,
  `partner_line_reference`                 varchar(128)     NOT NULL,
  `partner_line_notes`                     longtext         NOT NULL,
  `title`                                  varchar(255)     NOT NULL,
  `upc`                                    varchar(128)     DEFAULT NULL,
  `quantity`                               int(10) unsigned NOT NULL,     -- Django default 1
  `line_price_incl_tax`                    decimal(12,2)    NOT NULL,     -- after discounts
  `line_price_excl_tax`                    decimal(12,2)    NOT NULL,     -- after discounts
  `line_price_before_discounts_incl_tax`   decimal(12,2)    NOT NULL,     -- list price x quantity
  `line_price_before_discounts_excl_tax`   decimal(12,2)    NOT NULL,
  `unit_price_incl_tax`                    decimal(12,2)    DEFAULT NULL,
  `unit_price_excl_tax`                    decimal(12,2)    DEFAULT NULL,
  `status`                                 varchar(255)     NOT NULL,     -- see header
  `order_id`                               int(11)          NOT NULL,     -- FK order_order (CASCADE)
  `partner_id`                             int(11)          DEFAULT NULL, -- FK partner_partner (SET_NULL)
  `product_id`                             int(11)          DEFAULT NULL, -- FK catalogue_product (SET_NULL): the seat
  `stockrecord_id`                         int(11)          DEFAULT NULL, -- FK partner_stockrecord (SET_NULL)
  `effective_contract_discount_percentage` decimal(8,5)     DEFAULT NULL, -- ecommerce (0021)
  `effective_contract_discounted_price`    decimal(12,2)    DEFAULT NULL, -- ecommerce (0021)
  PRIMARY KEY (`id`),
  KEY `order_line_order_id_b9148391_fk_order_order_id` (`order_id`),
  KEY `order_line_partner_id_258a2fb9_fk_partner_partner_id` (`partner_id`),
  KEY `order_line_product_id_e620902d_fk_catalogue_product_id` (`product_id`),
  KEY `order_line_stockrecord_id_1d65aff5_fk_partner_stockrecord_id` (`stockrecord_id`),
  CONSTRAINT `order_line_order_id_b9148391_fk_order_order_id`
    FOREIGN KEY (`order_id`) REFERENCES `order_order` (`id`),
  CONSTRAINT `order_line_partner_id_258a2fb9_fk_partner_partner_id`
    FOREIGN KEY (`partner_id`) REFERENCES `partner_partner` (`id`),
  CONSTRAINT `order_line_product_id_e620902d_fk_catalogue_product_id`
    FOREIGN KEY (`product_id`) REFERENCES `catalogue_product` (`id`),
  CONSTRAINT `order_line_stockrecord_id_1d65aff5_fk_partner_stockrecord_id`
    FOREIGN KEY (`stockrecord_id`) REFERENCES `partner_stockrecord` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Order discount = THE redemption record: one row per (order, applied offer). Written by oscar
-- OrderCreator.create_discount_model (src/oscar/apps/order/utils.py).
-- NOTE: offer_id and voucher_id are plain unsigned ints, NOT foreign keys. The offer may have been
-- deleted or renamed. offer_name is a snapshot of offer_conditionaloffer.name at order time.
-- Spend per enrollment = amount. Offer spend = SUM(amount) over status='Complete' orders, minus
-- refunded ones (see refund_refund).
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/order/models.py :: OrderDiscount
--         (oscar 3.2 AbstractOrderDiscount); migration ecommerce/extensions/order/migrations/0001_initial.py.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `order_orderdiscount` (
  `id`           int(11)          NOT NULL AUTO_INCREMENT,
  `category`     varchar(64)      NOT NULL,       -- 'Basket' | 'Shipping' | 'Deferred' (Django default 'Basket')
  `offer_id`     int(10) unsigned DEFAULT NULL,   -- = offer_conditionaloffer.id (no FK constraint)
  `offer_name`   varchar(128)     NOT NULL,       -- indexed; '' allowed
  `voucher_id`   int(10) unsigned DEFAULT NULL,   -- = voucher_voucher.id for coupon redemptions, else NULL
  `voucher_code` varchar(128)     NOT NULL,       -- indexed; '' for learner-credit (Site offer) redemptions
  `frequency`    int(10) unsigned DEFAULT NULL,   -- number of applications (1 for enterprise offers)
  `amount`       decimal(12,2)    NOT NULL,       -- USD discount charged to the offer (Django default 0)
  `message`      longtext         NOT NULL,       -- '' allowed
  `order_id`     int(11)          NOT NULL,       -- FK order_order (CASCADE)
  PRIMARY KEY (`id`),
  KEY `order_orderdiscount_order_id_bc91e123_fk_order_order_id` (`order_id`),
  KEY `order_orderdiscount_offer_name_706d6119` (`offer_name`),
  KEY `order_orderdiscount_voucher_code_6ee4f360` (`voucher_code`),
  CONSTRAINT `order_orderdiscount_order_id_bc91e123_fk_order_order_id`
    FOREIGN KEY (`order_id`) REFERENCES `order_order` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Refund. Status values (ecommerce/extensions/refund/status.py :: REFUND):
--   'Open', 'Denied', 'Payment Refund Error', 'Payment Refunded', 'Revocation Error', 'Complete'.
--   Refund.approve(): Open -> Payment Refunded -> (revoke lines) -> Complete | Revocation Error.
--   The enterprise offer is credited back (total_discount -= discount.amount, num_applications -=
--   frequency, num_orders -= 1) inside approve(), only when refund line count == order line count.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/refund/models.py :: Refund
--         (TimeStampedModel + StatusMixin); migrations
--         ecommerce/extensions/refund/migrations/0001_squashed_0002_auto_20150515_2220.py, 0005, 0007.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `refund_refund` (
  `id`                    int(11)       NOT NULL AUTO_INCREMENT,
  `created`               datetime(6)   NOT NULL,   -- django_extensions CreationDateTimeField
  `modified`              datetime(6)   NOT NULL,   -- django_extensions ModificationDateTimeField
  `total_credit_excl_tax` decimal(12,2) NOT NULL,   -- money returned to the learner (0.00 for a 100% offer order)
  `currency`              varchar(12)   NOT NULL,   -- 'USD'
  `status`                varchar(255)  NOT NULL,   -- see header
  `order_id`              int(11)       NOT NULL,   -- FK order_order (CASCADE)
  `user_id`               int(11)       NOT NULL,   -- FK ecommerce_user (CASCADE)
  PRIMARY KEY (`id`),
  KEY `refund_refund_order_id_44bf4b92_fk_order_order_id` (`order_id`),
  KEY `refund_refund_user_id_f10f8f2a_fk_ecommerce_user_id` (`user_id`),
  CONSTRAINT `refund_refund_order_id_44bf4b92_fk_order_order_id`
    FOREIGN KEY (`order_id`) REFERENCES `order_order` (`id`),
  CONSTRAINT `refund_refund_user_id_f10f8f2a_fk_ecommerce_user_id`
    FOREIGN KEY (`user_id`) REFERENCES `ecommerce_user` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Refund line. Status values (ecommerce/extensions/refund/status.py :: REFUND_LINE):
--   'Open', 'Revocation Error', 'Denied', 'Complete'.
-- Source: openedx-unsupported/ecommerce :: ecommerce/extensions/refund/models.py :: RefundLine;
--         migrations ecommerce/extensions/refund/migrations/0001_squashed_..., 0005, 0007.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `refund_refundline` (
  `id`                   int(11)          NOT NULL AUTO_INCREMENT,
  `created`              datetime(6)      NOT NULL,
  `modified`             datetime(6)      NOT NULL,
  `line_credit_excl_tax` decimal(12,2)    NOT NULL,
  `quantity`             int(10) unsigned NOT NULL,  -- Django default 1
  `status`               varchar(255)     NOT NULL,  -- see header
  `order_line_id`        int(11)          NOT NULL,  -- FK order_line (CASCADE)
  `refund_id`            int(11)          NOT NULL,  -- FK refund_refund (CASCADE)
  PRIMARY KEY (`id`),
  KEY `refund_refundline_order_line_id_f775827b_fk_order_line_id` (`order_line_id`),
  KEY `refund_refundline_refund_id_a1fc3ad0_fk_refund_refund_id` (`refund_id`),
  CONSTRAINT `refund_refundline_order_line_id_f775827b_fk_order_line_id`
    FOREIGN KEY (`order_line_id`) REFERENCES `order_line` (`id`),
  CONSTRAINT `refund_refundline_refund_id_a1fc3ad0_fk_refund_refund_id`
    FOREIGN KEY (`refund_id`) REFERENCES `refund_refund` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- =====================================================================================================
-- Reading notes for the ETL (derived from the code cited above; not part of the schema):
--   learner-credit offer  : offer_conditionaloffer o JOIN offer_condition c ON c.id=o.condition_id
--                           WHERE o.offer_type='Site' AND c.enterprise_customer_uuid IS NOT NULL
--                           (+ c.proxy_class='ecommerce.enterprise.conditions.EnterpriseCustomerCondition')
--   redemption            : order_orderdiscount d JOIN order_order r ON r.id=d.order_id
--                           WHERE d.offer_id=o.id AND r.status='Complete'
--   refunded?             : EXISTS refund_refund f WHERE f.order_id=r.id AND f.status='Complete'
--   learner               : r.user_id -> ecommerce_user.lms_user_id -> LMS auth_user.id
--   course run            : order_line.product_id -> catalogue_product.course_id -> courses_course.id
--   live remaining budget : o.max_discount - o.total_discount (what the ecommerce API returns as
--                           remaining_balance; NULL when max_discount IS NULL)
-- =====================================================================================================
