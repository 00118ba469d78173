-- Copied from the lcm-etl reference material (written from the public Open edX sources cited below).
-- lcm-etl reads this subset; tests load this DDL into a real MariaDB to prove the extractor against it.
-- =====================================================================================================
-- license-manager database: the minimal subset that answers "does this enterprise customer have
-- subscription plans, and are any of them active or current?"
--
-- Dialect: MySQL 8.0 / MariaDB (license-manager runs Django 5.2.14 + mysqlclient, requirements/base.txt).
-- Tested: loads into MariaDB 10.11 (see report).
--
-- Source (public): openedx/license-manager snapshot d1fc5d9 (2026-06-01)
--   * license_manager/apps/subscriptions/models.py :: CustomerAgreement, SubscriptionPlan
--   * final column state replayed from license_manager/apps/subscriptions/migrations/0001..0078
--   * DEFAULT_AUTO_FIELD = 'django.db.models.AutoField' (license_manager/settings/base.py)
-- Table names are Django defaults (<app_label>_<model>, app_label 'subscriptions'; no db_table override).
--
-- Storage conventions (Django on MySQL):
--   * UUIDField -> char(32), lowercase hex with NO dashes. The API renders it dashed.
--     Django >= 5.0 on MariaDB >= 10.7 would create NEW UUID columns as native `uuid`. These tables
--     were created by older migrations, and license-manager has no MariaDB UUID conversion migration,
--     so char(32) is the storage on both MySQL and MariaDB.
--   * DateTimeField -> datetime(6) UTC; BooleanField -> tinyint(1); DurationField -> bigint (microseconds).
--   * TimeStampedModel (django-model-utils) adds created/modified datetime(6) NOT NULL.
--   * Django defaults are applied by the ORM, not as SQL DEFAULTs. The Django default is noted in comments.
--   * Index/constraint names below are illustrative. Django generates hashed names, and those differ
--     per deployment history.
--
-- "Has subscriptions" logic used by the service itself:
--   * SubscriptionPlan.get_current_plan(enterprise_uuid): is_active = 1 AND start_date <= now <= expiration_date
--     for the customer's agreement; the most recently created wins (ORDER BY created DESC).
--   * SubscriptionPlan.is_current (property) = start_date <= now <= expiration_date (ignores is_active).
--   * The admin list API only returns is_active = 1 plans (license_manager/apps/api/v1/views.py ::
--     SubscriptionViewSet.base_queryset, LearnerSubscriptionViewSet.base_queryset).
--   * is_active = 0 is used as a soft delete / "not yet live" flag (Django default False).
-- Not included: subscriptions_license (per-seat licenses; status 'activated'|'assigned'|'unassigned'|
--   'revoked'), subscriptions_subscriptionplanrenewal, subscriptions_product, subscriptions_plantype,
--   the historical* tables.
-- =====================================================================================================


-- -----------------------------------------------------------------------------------------------------
-- CustomerAgreement: exactly one per enterprise customer (enterprise_customer_uuid is UNIQUE). It
-- groups all of that customer's subscription plans.
-- Source: openedx/license-manager :: license_manager/apps/subscriptions/models.py :: CustomerAgreement;
--         created in migrations/0014_add_customer_agreement_and_renewals.py, later 0020, 0036, 0037, 0040,
--         0049, 0069-0075.
-- Omitted nullable columns (expiry-modal texts / auto-scaling): modal_header_text varchar(512),
--   expired_subscription_modal_messaging longtext, button_label_in_modal varchar(255),
--   url_for_button_in_modal varchar(512), auto_scaling_increment_percentage int,
--   auto_scaling_max_licenses int, auto_scaling_threshold_percentage int.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subscriptions_customeragreement` (
  `created`                                               datetime(6)  NOT NULL,
  `modified`                                              datetime(6)  NOT NULL,
  `uuid`                                                  char(32)     NOT NULL,   -- PK (UUIDField)
  `enterprise_customer_uuid`                              char(32)     NOT NULL,   -- UNIQUE; = LMS enterprise_enterprisecustomer.uuid
  `enterprise_customer_slug`                              varchar(128) DEFAULT NULL,  -- UNIQUE (nullable since 0037)
  `default_enterprise_catalog_uuid`                       char(32)     DEFAULT NULL,
  `disable_expiration_notifications`                      tinyint(1)   NOT NULL,   -- Django default 0
  `license_duration_before_purge`                         bigint(20)   NOT NULL,   -- DurationField, microseconds (Django default 90 days = 7776000000000)
  `enterprise_customer_name`                              varchar(255) DEFAULT NULL,
  `disable_onboarding_notifications`                      tinyint(1)   NOT NULL,   -- Django default 0
  `has_custom_license_expiration_messaging`               tinyint(1)   NOT NULL,   -- Django default 0
  `enable_auto_applied_subscriptions_with_universal_link` tinyint(1)   NOT NULL,   -- Django default 0
  `enable_auto_scaling_of_current_plan`                   tinyint(1)   NOT NULL,   -- Django default 0; indexed
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `enterprise_customer_uuid` (`enterprise_customer_uuid`),
  UNIQUE KEY `enterprise_customer_slug` (`enterprise_customer_slug`),
  KEY `subscriptions_customeragreement_enable_auto_scaling_idx` (`enable_auto_scaling_of_current_plan`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- SubscriptionPlan: one purchased block of licenses with a validity window. It reaches the enterprise
-- only through customer_agreement_id. The column subscriptionplan.enterprise_customer_uuid was REMOVED
-- in migrations/0018. The API field `enterprise_customer_uuid` is a model property
-- (customer_agreement.enterprise_customer_uuid).
-- Source: openedx/license-manager :: license_manager/apps/subscriptions/models.py :: SubscriptionPlan;
--         migrations 0001, 0002 (is_active), 0004 (title), 0008, 0012, 0013, 0017 (customer_agreement,
--         unique (title, customer_agreement)), 0018, 0019, 0027, 0035, 0038 (dates DateField->DateTimeField),
--         0043, 0046 (product), 0051, 0057, 0067.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subscriptions_subscriptionplan` (
  `created`                          datetime(6)          NOT NULL,
  `modified`                         datetime(6)          NOT NULL,
  `uuid`                             char(32)             NOT NULL,   -- PK (UUIDField)
  `start_date`                       datetime(6)          NOT NULL,   -- DateTimeField since 0038 (was DateField)
  `expiration_date`                  datetime(6)          NOT NULL,
  `enterprise_catalog_uuid`          char(32)             NOT NULL,   -- defaults from the agreement's default catalog at save
  `is_active`                        tinyint(1)           NOT NULL,   -- Django default 0 (False)
  `title`                            varchar(128)         NOT NULL,   -- unique per customer agreement
  `salesforce_opportunity_id`        varchar(18)          DEFAULT NULL,  -- deprecated
  `for_internal_use_only`            tinyint(1)           NOT NULL,   -- Django default 0; test/internal plans
  `num_revocations_applied`          int(10) unsigned     NOT NULL,   -- Django default 0
  `revoke_max_percentage`            smallint(5) unsigned NOT NULL,   -- Django default 5
  `customer_agreement_id`            char(32)             NOT NULL,   -- FK subscriptions_customeragreement.uuid (CASCADE)
  `expiration_processed`             tinyint(1)           NOT NULL,   -- Django default 0
  `is_revocation_cap_enabled`        tinyint(1)           NOT NULL,   -- Django default 0
  `can_freeze_unused_licenses`       tinyint(1)           NOT NULL,   -- Django default 0
  `last_freeze_timestamp`            datetime(6)          DEFAULT NULL,
  `should_auto_apply_licenses`       tinyint(1)           DEFAULT NULL,
  `product_id`                       int(11)              DEFAULT NULL,  -- FK subscriptions_product (DO_NOTHING; table not included).
                                                                       -- The API's plan_type = product.plan_type.label, e.g.
                                                                       -- 'Standard Paid', 'OCE', 'Test' (migrations/0029_populate_plan_types.py)
  `salesforce_opportunity_line_item` varchar(18)          DEFAULT NULL,
  `desired_num_licenses`             int(10) unsigned     DEFAULT NULL,
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `subscriptions_subscriptionplan_title_customer_agreement_uniq` (`title`, `customer_agreement_id`),
  KEY `subscriptions_subscriptionplan_customer_agreement_id_idx` (`customer_agreement_id`),
  KEY `subscriptions_subscriptionplan_product_id_idx` (`product_id`),
  CONSTRAINT `subscriptions_subscriptionplan_customer_agreement_id_fk`
    FOREIGN KEY (`customer_agreement_id`) REFERENCES `subscriptions_customeragreement` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Example query ("does customer X have a current, active subscription plan?"):
--   SELECT COUNT(*) > 0
--   FROM subscriptions_subscriptionplan p
--   JOIN subscriptions_customeragreement a ON a.uuid = p.customer_agreement_id
--   WHERE a.enterprise_customer_uuid = REPLACE(LOWER(:enterprise_uuid), '-', '')
--     AND p.is_active = 1 AND p.start_date <= UTC_TIMESTAMP(6) AND p.expiration_date >= UTC_TIMESTAMP(6);
