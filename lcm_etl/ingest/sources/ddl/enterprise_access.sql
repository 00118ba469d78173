-- The enterprise_access tables lcm-etl reads for the ledger era (budgets), MariaDB/MySQL dialect.
-- Copied from the lcm-etl reference material, which took them from SHOW CREATE TABLE after running
-- the services' own migrations (openedx-ledger v1.8.0, enterprise-subsidy a756c19c,
-- enterprise-access ee7d23a8; Django 5.2 on MySQL: UUIDs are char(32) lowercase hex, no dashes;
-- datetimes are datetime(6) UTC; money is signed integer USD cents; no DEFAULT clauses).
-- Tests load this file into a real MariaDB; lcm_etl.ingest.sources.ledger.py mirrors it for SQLite
-- and PostgreSQL sources.

-- =====================================================================================================
-- DATABASE enterprise_access  (service openedx/enterprise-access)
-- =====================================================================================================

-- -----------------------------------------------------------------------------------------------------
-- AssignmentConfiguration: one per assignable budget (and per Browse-&-Request-enabled spend policy).
-- Source: enterprise_access/apps/content_assignments/models.py:38-71; migrations content_assignments 0001..
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `content_assignments_assignmentconfiguration` (
  `created`                  datetime(6) NOT NULL,
  `modified`                 datetime(6) NOT NULL,
  `uuid`                     char(32)    NOT NULL,
  `active`                   tinyint(1)  NOT NULL,   -- 0 = soft-deleted (delete() override, models.py:76-86)
  `enterprise_customer_uuid` char(32)    NOT NULL,
  PRIMARY KEY (`uuid`),
  KEY `content_assignments_assignmentconfiguration_active_4ea8f65c` (`active`),
  KEY `content_assignments_assignm_enterprise_customer_uuid_3b9c3897` (`enterprise_customer_uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- LearnerCreditRequestConfiguration: Browse & Request (BnR) switch of a policy. policy.bnr_enabled is
-- (learner_credit_request_config_id IS NOT NULL AND this.active = 1) (subsidy_access_policy/models.py:405-410).
-- Source: enterprise_access/apps/subsidy_request/models.py:319-372.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subsidy_request_learnercreditrequestconfiguration` (
  `created`  datetime(6) NOT NULL,
  `modified` datetime(6) NOT NULL,
  `uuid`     char(32)    NOT NULL,
  `active`   tinyint(1)  NOT NULL,
  PRIMARY KEY (`uuid`),
  KEY `subsidy_request_learnercred_active_8e4612db` (`active`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- SubsidyAccessPolicy = a BUDGET. SINGLE-TABLE: the subclasses PerLearnerEnrollmentCreditAccessPolicy,
-- PerLearnerSpendCreditAccessPolicy and AssignedLearnerCreditAccessPolicy are Django PROXY models
-- (Meta.proxy=True, models.py:1223-1227, :1402-1406, :1598-1600); `policy_type` holds the class name and the
-- per-type managers filter on it (models.py:109-111). There are no subclass tables.
-- Soft delete: active=0 ("deactivated and hidden", models.py:181-187, :1173-1183). Retire: retired=1 keeps it
-- visible to admins but stops redemption; retired_at is stamped by save() (models.py:476-479).
-- Source: enterprise_access/apps/subsidy_access_policy/models.py:114-270; migrations 0001..0030.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subsidy_access_policy_subsidyaccesspolicy` (
  `created`                          datetime(6)  NOT NULL,
  `modified`                         datetime(6)  NOT NULL,
  `policy_type`                      varchar(64)  NOT NULL,   -- 'PerLearnerEnrollmentCreditAccessPolicy' |
                                                              -- 'PerLearnerSpendCreditAccessPolicy' |
                                                              -- 'AssignedLearnerCreditAccessPolicy' (constants.py:38-53)
  `uuid`                             char(32)     NOT NULL,   -- = budget id in the portal URL
  `description`                      longtext     NOT NULL,   -- '' when unset
  `active`                           tinyint(1)   NOT NULL,   -- ORM default 0 (!)
  `catalog_uuid`                     char(32)     NOT NULL,   -- enterprise-catalog EnterpriseCatalog uuid
  `subsidy_uuid`                     char(32)     NOT NULL,   -- -> enterprise_subsidy.subsidy_subsidy.uuid (other DB)
  `access_method`                    varchar(32)  NOT NULL,   -- 'direct' | 'request' | 'assigned'
  `per_learner_enrollment_limit`     int(11)      DEFAULT NULL, -- count of enrollments per learner; NULL = no limit
  `per_learner_spend_limit`          int(11)      DEFAULT NULL, -- USD cents per learner; NULL = no limit
  `spend_limit`                      int(11)      DEFAULT NULL, -- USD cents for the whole budget; NULL = no cap
                                                              -- (int(11): max 2,147,483,647 cents = $21.47M)
  `enterprise_customer_uuid`         char(32)     NOT NULL,   -- ORM default '000...0' only for old rows' sake
  `display_name`                     varchar(512) DEFAULT NULL, -- portal shows 'Overview' when NULL/''
  `assignment_configuration_id`      char(32)     DEFAULT NULL, -- set for Assigned (always) and BnR spend policies
  `retired`                          tinyint(1)   NOT NULL,
  `late_redemption_allowed_until`    datetime(6)  DEFAULT NULL,
  `retired_at`                       datetime(6)  DEFAULT NULL, -- added 0027 (2025); NULL for policies retired before
  `learner_credit_request_config_id` char(32)     DEFAULT NULL,
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `assignment_configuration_id` (`assignment_configuration_id`),
  UNIQUE KEY `subsidy_access_policy_su_active_assignment_config_f6b904ce_uniq` (`active`,`assignment_configuration_id`),
  UNIQUE KEY `learner_credit_request_config_id` (`learner_credit_request_config_id`),
  KEY `subsidy_access_policy_subsidyaccesspolicy_catalog_uuid_88bcc534` (`catalog_uuid`),
  KEY `subsidy_access_policy_subsidyaccesspolicy_subsidy_uuid_0b63db2e` (`subsidy_uuid`),
  KEY `subsidy_access_policy_subsi_enterprise_customer_uuid_65500210` (`enterprise_customer_uuid`),
  CONSTRAINT `subsidy_access_polic_assignment_configura_7afe4840_fk_content_a` FOREIGN KEY (`assignment_configuration_id`) REFERENCES `content_assignments_assignmentconfiguration` (`uuid`),
  CONSTRAINT `subsidy_access_polic_learner_credit_reque_e4b46881_fk_subsidy_r` FOREIGN KEY (`learner_credit_request_config_id`) REFERENCES `subsidy_request_learnercreditrequestconfiguration` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- PolicyGroupAssociation: restricts a budget to members of edx-enterprise EnterpriseGroup(s). A policy with
-- no rows here is open to every learner of the enterprise (models.py:660-682).
-- Source: enterprise_access/apps/subsidy_access_policy/models.py:2077-2103; migrations 0022, 0023.
-- id is bigint because the app config sets default_auto_field = BigAutoField (subsidy_access_policy/apps.py:7).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subsidy_access_policy_policygroupassociation` (
  `id`                       bigint(20)  NOT NULL AUTO_INCREMENT,
  `created`                  datetime(6) NOT NULL,
  `modified`                 datetime(6) NOT NULL,
  `enterprise_group_uuid`    char(32)    DEFAULT NULL,   -- edx-enterprise enterprise_enterprisegroup.uuid
  `subsidy_access_policy_id` char(32)    NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `subsidy_access_policy_po_subsidy_access_policy_id_89ce3205_uniq` (`subsidy_access_policy_id`,`enterprise_group_uuid`),
  CONSTRAINT `subsidy_access_polic_subsidy_access_polic_1577c9f2_fk_subsidy_a` FOREIGN KEY (`subsidy_access_policy_id`) REFERENCES `subsidy_access_policy_subsidyaccesspolicy` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- LearnerContentAssignment: an admin's earmark of money for (learner, content) inside an assignable budget.
-- state='allocated' rows are the budget's "Assigned"/"Pending" amount (content_assignments/api.py:253-265).
-- On redemption it becomes 'accepted' and transaction_uuid points at the ledger transaction (other DB).
-- Source: enterprise_access/apps/content_assignments/models.py:236-409; constants.py:6-39.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `content_assignments_learnercontentassignment` (
  `created`                     datetime(6)  NOT NULL,
  `modified`                    datetime(6)  NOT NULL,
  `uuid`                        char(32)     NOT NULL,
  `learner_email`               varchar(254) NOT NULL,   -- PII; scrubbed to 'retired_user<hex>@retired.invalid'
                                                         -- for expired assignments (clear_pii_for_expired_assignments)
  `lms_user_id`                 int(11)      DEFAULT NULL, -- NULL until the email is linked to an LMS user
  `content_key`                 varchar(255) NOT NULL,   -- course key OR course run key (see is_assigned_course_run)
  `content_quantity`            bigint(20)   NOT NULL,   -- price in USD cents, NEGATIVE or 0 (models.py:417-422)
  `state`                       varchar(255) NOT NULL,   -- allocated | accepted | cancelled | errored | expired | reversed
  `transaction_uuid`            char(32)     DEFAULT NULL, -- -> enterprise_subsidy.openedx_ledger_transaction.uuid
  `assignment_configuration_id` char(32)     DEFAULT NULL,
  `content_title`               varchar(255) DEFAULT NULL,
  `allocation_batch_id`         char(32)     DEFAULT NULL,
  `accepted_at`                 datetime(6)  DEFAULT NULL,
  `allocated_at`                datetime(6)  NOT NULL,   -- LAST (re)allocation time; auto-expiry = allocated_at + 90 days
  `cancelled_at`                datetime(6)  DEFAULT NULL,
  `errored_at`                  datetime(6)  DEFAULT NULL,
  `expired_at`                  datetime(6)  DEFAULT NULL,
  `preferred_course_run_key`    varchar(255) DEFAULT NULL,
  `reversed_at`                 datetime(6)  DEFAULT NULL,
  `is_assigned_course_run`      tinyint(1)   NOT NULL,
  `parent_content_key`          varchar(255) DEFAULT NULL,
  `admin_lms_user_id`           int(11)      DEFAULT NULL, -- admin who assigned
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `content_assignments_lear_assignment_configuration_1ea7dd91_uniq` (`assignment_configuration_id`,`lms_user_id`,`content_key`),
  UNIQUE KEY `content_assignments_lear_assignment_configuration_7dc6c932_uniq` (`assignment_configuration_id`,`learner_email`,`content_key`),
  KEY `content_assignments_learner_learner_email_42b0460e` (`learner_email`),
  KEY `content_assignments_learner_lms_user_id_6cf787cc` (`lms_user_id`),
  KEY `content_assignments_learner_content_key_9aef3346` (`content_key`),
  KEY `content_assignments_learnercontentassignment_state_359c156e` (`state`),
  KEY `content_assignments_learner_preferred_course_run_key_f267556d` (`preferred_course_run_key`),
  KEY `content_assignments_learner_parent_content_key_c77754cc` (`parent_content_key`),
  KEY `content_assignments_learner_admin_lms_user_id_2a0ac101` (`admin_lms_user_id`),
  CONSTRAINT `content_assignments__assignment_configura_e0acdab5_fk_content_a` FOREIGN KEY (`assignment_configuration_id`) REFERENCES `content_assignments_assignmentconfiguration` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- LearnerContentAssignmentAction: non-lifecycle events of an assignment (notified, reminded, redeemed,
-- cancelled, expired, reversed, ...). Needed to derive the admin-facing learner_state
-- (notifying / waiting / failed / expired) and recent_action the portal table shows
-- (content_assignments/models.py:751-872).
-- Source: enterprise_access/apps/content_assignments/models.py:877-954; constants.py:42-82.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `content_assignments_learnercontentassignmentaction` (
  `created`       datetime(6)  NOT NULL,
  `modified`      datetime(6)  NOT NULL,
  `uuid`          char(32)     NOT NULL,
  `action_type`   varchar(255) NOT NULL,   -- learner_linked | notified | reminded | redeemed | cancelled |
                                           -- cancelled_acknowledged | expired | expired_acknowledged | reversed
  `completed_at`  datetime(6)  DEFAULT NULL,
  `error_reason`  varchar(255) DEFAULT NULL, -- email_error | internal_api_error | enrollment_error
  `traceback`     longtext     DEFAULT NULL,
  `assignment_id` char(32)     NOT NULL,
  PRIMARY KEY (`uuid`),
  KEY `content_assignments_learner_action_type_db9ebeb8` (`action_type`),
  KEY `content_assignments_learner_error_reason_8263ca76` (`error_reason`),
  KEY `content_assignments__assignment_id_f14deb1b_fk_content_a` (`assignment_id`),
  CONSTRAINT `content_assignments__assignment_id_f14deb1b_fk_content_a` FOREIGN KEY (`assignment_id`) REFERENCES `content_assignments_learnercontentassignment` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
