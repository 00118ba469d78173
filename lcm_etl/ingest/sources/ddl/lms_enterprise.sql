-- Copied from the lcm-etl reference material (written from the public Open edX sources cited below).
-- lcm-etl reads this subset; tests load this DDL into a real MariaDB to prove the extractor against it.
-- =====================================================================================================
-- LMS (edx-platform) database: the minimal edx-enterprise subset an ETL needs for learner credit:
--   * which enterprise customers exist, and their portal/LCM feature flags;
--   * which LMS users belong to which customer;
--   * whether a learner granted data-sharing consent (DSC). This decides whether the learner's email
--     may be shown to the customer's admins.
--
-- Dialect: MySQL 8.0 / MariaDB. Tested: loads into MariaDB 10.11 (see report).
--
-- Sources (public):
--   * openedx/edx-enterprise snapshot 06d3340e (2026-08-07): enterprise/models.py, consent/models.py.
--     Final column state replayed from enterprise/migrations/0001_squashed_0092..0249 and
--     consent/migrations/0001..0007.
--   * Django contrib auth (auth_user) as used by edx-platform.
-- Table names are Django defaults: app label 'enterprise' -> enterprise_<model>, app label 'consent'
-- -> consent_<model>.
--
-- Storage conventions (Django on MySQL):
--   * UUIDField -> char(32), lowercase hex, NO dashes (the enterprise REST APIs and JWT role contexts
--     use the dashed form). EXCEPTION: on MariaDB, edx-enterprise migration
--     enterprise/migrations/0242_mariadb_uuid_conversion.py (2025-10) runs
--     ALTER TABLE enterprise_enterprisecustomer MODIFY uuid uuid NOT NULL. MariaDB's native uuid type
--     displays dashed. The FK columns that point at it (enterprise_customer_id) are not converted by
--     that migration. On MySQL everything stays char(32).
--   * TimeStampedModel (django-model-utils) -> created/modified datetime(6) NOT NULL.
--   * BooleanField -> tinyint(1); Django defaults are ORM-side only (noted in comments).
--   * Index/constraint names below are illustrative unless stated otherwise.
-- FKs to tables NOT included (column kept, no constraint): django_site, enterprise_enterprisecustomertype,
--   enterprise_enterprisecustomerinvitekey.
-- =====================================================================================================


-- -----------------------------------------------------------------------------------------------------
-- auth_user (Django contrib.auth, used unchanged by edx-platform). Needed to turn
-- enterprise_enterprisecustomeruser.user_id into username/email and to join DSC rows (DSC is keyed by
-- username, not by user id). ecommerce_user.lms_user_id = auth_user.id.
-- Source: Django django/contrib/auth/models.py :: AbstractUser/User (max_length 150 for names since
--         Django 3.1); edx-platform uses AUTH_USER_MODEL = 'auth.User'.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `auth_user` (
  `id`           int(11)      NOT NULL AUTO_INCREMENT,
  `password`     varchar(128) NOT NULL,
  `last_login`   datetime(6)  DEFAULT NULL,
  `is_superuser` tinyint(1)   NOT NULL,
  `username`     varchar(150) NOT NULL,
  `first_name`   varchar(150) NOT NULL,
  `last_name`    varchar(150) NOT NULL,
  `email`        varchar(254) NOT NULL,
  `is_staff`     tinyint(1)   NOT NULL,
  `is_active`    tinyint(1)   NOT NULL,
  `date_joined`  datetime(6)  NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- EnterpriseCustomer. One row per enterprise. All columns of the current model are kept (almost all
-- are NOT NULL booleans).
-- LCM-relevant flags:
--   enable_portal_learner_credit_management_screen  "Display learner credit management screen"
--       (added in 0160, edx-enterprise 3.52.0). Gates the admin-portal LCM page.
--   enable_learner_portal_offers   "Enable learner credit in the learner portal" (offer-era learner credit)
--   enable_data_sharing_consent / enforce_data_sharing_consent  DSC policy (see consent table)
--   enable_audit_enrollment / enable_audit_data_reporting  affect audit rows in reporting
--   enable_portal_subscription_management_screen / enable_portal_code_management_screen  other subsidy UIs
--   disable_expiry_messaging_for_learner_credit, enable_learner_credit_message_box
-- Source: openedx/edx-enterprise :: enterprise/models.py :: EnterpriseCustomer (TimeStampedModel);
--         enterprise/migrations/0001_squashed_0092_auto_20200312_1650.py .. 0249.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `enterprise_enterprisecustomer` (
  `created`                                        datetime(6)  NOT NULL,
  `modified`                                       datetime(6)  NOT NULL,
  `uuid`                                           char(32)     NOT NULL,   -- PK; see header for MariaDB native uuid
  `name`                                           varchar(255) NOT NULL,
  `slug`                                           varchar(30)  NOT NULL,   -- SlugField, UNIQUE (Django default 'default'); admin portal URL /<slug>/admin/...
  `active`                                         tinyint(1)   NOT NULL,   -- verbose "Active admin portal" (Django default 1)
  `country`                                        varchar(2)   DEFAULT NULL,  -- django_countries CountryField
  `hide_course_original_price`                     tinyint(1)   NOT NULL,   -- Django default 0
  `enable_data_sharing_consent`                    tinyint(1)   NOT NULL,   -- Django default 1: "Activate data sharing consent prompt"
  `enforce_data_sharing_consent`                   varchar(25)  NOT NULL,   -- 'at_enrollment' | 'externally_managed' (Django default 'at_enrollment')
  `enable_audit_enrollment`                        tinyint(1)   NOT NULL,   -- Django default 0
  `enable_audit_data_reporting`                    tinyint(1)   NOT NULL,   -- Django default 0
  `replace_sensitive_sso_username`                 tinyint(1)   NOT NULL,   -- Django default 0
  `enable_autocohorting`                           tinyint(1)   NOT NULL,   -- Django default 0
  `enable_portal_code_management_screen`           tinyint(1)   NOT NULL,   -- Django default 0 (coupon codes UI)
  `enable_portal_reporting_config_screen`          tinyint(1)   NOT NULL,   -- Django default 0
  `enable_portal_subscription_management_screen`   tinyint(1)   NOT NULL,   -- Django default 0 (subscriptions UI)
  `enable_learner_portal`                          tinyint(1)   NOT NULL,   -- Django default 1
  `contact_email`                                  varchar(254) DEFAULT NULL,
  `customer_type_id`                               int(11)      NOT NULL,   -- FK enterprise_enterprisecustomertype (not included)
  `site_id`                                        int(11)      NOT NULL,   -- FK django_site (not included)
  `enable_slug_login`                              tinyint(1)   NOT NULL,   -- Django default 0
  `enable_portal_saml_configuration_screen`        tinyint(1)   NOT NULL,   -- Django default 0
  `default_contract_discount`                      decimal(8,5) DEFAULT NULL,  -- percent, passed to ecommerce for manual orders
  `enable_analytics_screen`                        tinyint(1)   NOT NULL,   -- Django default 1
  `enable_integrated_customer_learner_portal_search` tinyint(1) NOT NULL,   -- Django default 1
  `default_language`                               varchar(25)  DEFAULT NULL,
  `enable_portal_lms_configurations_screen`        tinyint(1)   NOT NULL,   -- Django default 0
  `sender_alias`                                   varchar(255) DEFAULT NULL,
  `reply_to`                                       varchar(254) DEFAULT NULL,
  `hide_labor_market_data`                         tinyint(1)   NOT NULL,   -- Django default 0
  `enable_universal_link`                          tinyint(1)   NOT NULL,   -- Django default 0
  `enable_browse_and_request`                      tinyint(1)   NOT NULL,   -- Django default 0
  `enable_learner_portal_offers`                   tinyint(1)   NOT NULL,   -- Django default 0: offer-era learner credit visible to learners
  `enable_portal_learner_credit_management_screen` tinyint(1)   NOT NULL,   -- Django default 0: admin LCM page flag
  `enable_executive_education_2U_fulfillment`      tinyint(1)   NOT NULL,   -- Django default 0
  `auth_org_id`                                    varchar(80)  DEFAULT NULL,
  `enable_generation_of_api_credentials`           tinyint(1)   NOT NULL,   -- Django default 0
  `enable_pathways`                                tinyint(1)   NOT NULL,   -- Django default 1
  `enable_programs`                                tinyint(1)   NOT NULL,   -- Django default 1
  `enable_demo_data_for_analytics_and_lpr`         tinyint(1)   NOT NULL,   -- Django default 0
  `enable_academies`                               tinyint(1)   NOT NULL,   -- Django default 1 (since 0245)
  `enable_one_academy`                             tinyint(1)   NOT NULL,   -- Django default 0
  `disable_expiry_messaging_for_learner_credit`    tinyint(1)   NOT NULL,   -- Django default 0
  `enable_learner_portal_sidebar_message`          tinyint(1)   NOT NULL,   -- Django default 0
  `learner_portal_sidebar_content`                 longtext     NOT NULL,   -- '' when unset
  `show_videos_in_learner_portal_search_results`   tinyint(1)   NOT NULL,   -- Django default 0
  `enable_learner_credit_message_box`              tinyint(1)   NOT NULL,   -- Django default 1
  `enable_credit_and_industry_pathways`            tinyint(1)   NOT NULL,   -- Django default 1
  `enable_people_management`                       tinyint(1)   NOT NULL,   -- Django default 1 (0249)
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `slug` (`slug`),
  KEY `enterprise_enterprisecustomer_customer_type_id_idx` (`customer_type_id`),
  KEY `enterprise_enterprisecustomer_site_id_idx` (`site_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- EnterpriseCustomerUser: link between an LMS user and an enterprise customer ("enterprise learner").
--   active = the customer currently selected for that user (only one active link per user at a time
--            when should_inactivate_other_customers is set);
--   linked = False once the learner is unlinked. Analytics excludes unlinked learners
--            (enterprise_learner.is_linked).
-- Source: openedx/edx-enterprise :: enterprise/models.py :: EnterpriseCustomerUser;
--         enterprise/migrations/0001_squashed_... (unique (enterprise_customer, user_id)), 0146 (invite_key),
--         0152, 0155, 0229-0234 (user_fk: int column literally named `user_fk`, db_column='user_fk',
--         FK fk_enterprisecustomeruser_user_fk -> auth_user(id) ON DELETE CASCADE, index idx_enterprise_user_fk;
--         the names of this FK and index are the real ones, created by RunSQL in 0230/0231).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `enterprise_enterprisecustomeruser` (
  `id`                                int(11)          NOT NULL AUTO_INCREMENT,
  `created`                           datetime(6)      NOT NULL,
  `modified`                          datetime(6)      NOT NULL,
  `user_id`                           int(10) unsigned NOT NULL,   -- LMS auth_user.id (plain int, indexed). = ecommerce_user.lms_user_id
  `active`                            tinyint(1)       NOT NULL,   -- Django default 1
  `linked`                            tinyint(1)       NOT NULL,   -- Django default 1
  `enterprise_customer_id`            char(32)         NOT NULL,   -- FK enterprise_enterprisecustomer.uuid (CASCADE)
  `invite_key_id`                     char(32)         DEFAULT NULL,  -- FK enterprise_enterprisecustomerinvitekey.uuid (SET_NULL; not included)
  `should_inactivate_other_customers` tinyint(1)       NOT NULL,   -- Django default 1
  `is_relinkable`                     tinyint(1)       NOT NULL,   -- Django default 1
  `user_fk`                           int(11)          DEFAULT NULL,  -- same value as user_id, real FK (added 2025)
  PRIMARY KEY (`id`),
  UNIQUE KEY `enterprise_enterprisecustomeruser_ec_user_id_uniq` (`enterprise_customer_id`, `user_id`),
  KEY `enterprise_enterprisecustomeruser_user_id_idx` (`user_id`),
  KEY `enterprise_enterprisecustomeruser_invite_key_id_idx` (`invite_key_id`),
  KEY `idx_enterprise_user_fk` (`user_fk`),
  CONSTRAINT `enterprise_enterprisecustomeruser_enterprise_customer_id_fk`
    FOREIGN KEY (`enterprise_customer_id`) REFERENCES `enterprise_enterprisecustomer` (`uuid`),
  CONSTRAINT `fk_enterprisecustomeruser_user_fk`
    FOREIGN KEY (`user_fk`) REFERENCES `auth_user` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- EnterpriseCourseEnrollment: one row per (enterprise customer user, course run) — the LMS side of an
-- enterprise enrollment. Its id is what the analytics API serves as `enterprise_enrollment_id` (the
-- admin portal's enrollment row id); lcm-etl lands it for that.
--   course_id: the course run key ('course-v1:edX+DemoX+Demo_Course').
-- Source: openedx/edx-enterprise :: enterprise/models.py :: EnterpriseCourseEnrollment (a
--   TimeStampedModel); enterprise/migrations/0013 (created it, unique (enterprise_customer_user,
--   course_id)). Later migrations add columns lcm-etl does not read (saving for later, the enrollment
--   source, unenrollment); they are left out of this subset.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `enterprise_enterprisecourseenrollment` (
  `id`                          int(11)      NOT NULL AUTO_INCREMENT,
  `created`                     datetime(6)  NOT NULL,
  `modified`                    datetime(6)  NOT NULL,
  `course_id`                   varchar(255) NOT NULL,
  `enterprise_customer_user_id` int(11)      NOT NULL,   -- FK enterprise_enterprisecustomeruser.id (CASCADE)
  PRIMARY KEY (`id`),
  UNIQUE KEY `enterprise_ece_ecu_course_uniq` (`enterprise_customer_user_id`, `course_id`),
  CONSTRAINT `enterprise_ece_enterprise_customer_user_id_fk`
    FOREIGN KEY (`enterprise_customer_user_id`) REFERENCES `enterprise_enterprisecustomeruser` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- DataSharingConsent: one row per (enterprise customer, username, course). It records whether the
-- learner agreed to share course data (including identity) with that enterprise.
--   granted: 1 = consent given; 0 = declined/revoked; NULL = not yet answered (nullable since 0005).
--   course_id: a course key ('edX+DemoX') or a course run key ('course-v1:edX+DemoX+Demo_Course').
-- Consent is only REQUESTED when the customer "requests_data_sharing_consent" =
--   enable_data_sharing_consent AND enforce_data_sharing_consent != 'externally_managed'
--   (enterprise/models.py :: EnterpriseCustomer.requests_data_sharing_consent).
-- Analytics side: enrollments without granted DSC stay in the learner progress report with
--   is_consent_granted = False. user_email, enterprise_user_id and the other learner-identifying or
--   progress columns are NULL there, so the admin UI shows "Email hidden". Sources: edx-enterprise-data
--   enterprise_data/tests/test_utils.py :: EnterpriseLearnerEnrollmentFactory.set_fields_according_to_consent;
--   commits e4d8f59 / 97091ae (ENT-12136); frontend-app-admin-portal EmailAddressTableCell.jsx. The
--   warehouse SQL that applies this rule is not public.
-- Source: openedx/edx-enterprise :: consent/models.py :: Consent (abstract), DataSharingConsent;
--         consent/migrations/0001_initial.py (unique_together), 0005_auto_20230707_0755.py (granted NULL),
--         0007_datasharingconsent_consent_add_username_index.py (index consent_dat_usernam_fae23a_idx).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `consent_datasharingconsent` (
  `id`                     int(11)      NOT NULL AUTO_INCREMENT,
  `created`                datetime(6)  NOT NULL,
  `modified`               datetime(6)  NOT NULL,
  `username`               varchar(255) NOT NULL,     -- LMS auth_user.username (NOT the user id)
  `granted`                tinyint(1)   DEFAULT NULL,
  `course_id`              varchar(255) NOT NULL,
  `enterprise_customer_id` char(32)     NOT NULL,     -- FK enterprise_enterprisecustomer.uuid (CASCADE)
  PRIMARY KEY (`id`),
  UNIQUE KEY `consent_datasharingconsent_ec_username_course_uniq` (`enterprise_customer_id`, `username`, `course_id`),
  KEY `consent_dat_usernam_fae23a_idx` (`username`),
  CONSTRAINT `consent_datasharingconsent_enterprise_customer_id_fk`
    FOREIGN KEY (`enterprise_customer_id`) REFERENCES `enterprise_enterprisecustomer` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Not included but relevant:
--   enterprise_systemwideenterpriseuserroleassignment (user_id, role_id -> enterprise_systemwideenterpriserole
--     .name in {'enterprise_admin','enterprise_learner','enterprise_openedx_operator','enterprise_catalog_admin',
--     'enterprise_provisioning_admin'}, enterprise_customer_id, applies_to_all_contexts). These rows become the
--     JWT `roles` claim ('enterprise_admin:<dashed uuid>', 'enterprise_openedx_operator:*'); see lcm_etl/api/auth.py.
