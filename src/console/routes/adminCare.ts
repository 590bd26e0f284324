/**
 * 管理 · 供养机构 and 监护人: the facility registry (beds, residents — derived from the open cases placed there —,
 * free beds, caregivers and residents per caregiver, with the ratio breach flag) and the guardian registry
 * (wards and maximum). Registered and changed through the engine's care functions with the API's own input
 * schemas; the roles are the routes' (facilities: admin; guardians: officer or admin).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { facilityTypes, guardianKinds } from '../../../machines/index.js';
import { facilityInputSchema, facilityPatchSchema, guardianInputSchema } from '../../engine/care.js';
import { errors } from '../../errors.js';
import { facilityTypeLabels, guardianKindLabels } from '../../labels.js';
import { fieldAttrs, fieldId, formError, regionChoices, regionNamer } from '../admin.js';
import { requireConsoleRole } from '../access.js';
import { pageData, type ConsoleContext } from '../context.js';
import { formIssues, nestForm } from '../forms.js';
import type { ShownError } from '../messages.js';
import { sendHtml } from '../render.js';
import { CONSOLE, redirect, who } from '../session.js';

const FACILITY_ZH: Record<string, string> = {
  name: '请输入机构名称（最多 200 个字）',
  type: '请选择机构类型',
  regionCode: '请选择您管辖范围内的村（社区）',
  beds: '床位数须为 0 或以上的整数，且不少于现有入住人数',
  caregivers: '护理人员数须为 0 或以上的整数',
  medicalStaff: '医护人员数须为 0 或以上的整数',
  patientsPerMedicalStaff: '每名医护人员负责人数须为 1～1000 的整数，或留空',
};
const GUARDIAN_ZH: Record<string, string> = {
  name: '请输入监护人姓名（最多 100 个字）',
  kind: '请选择监护人类型',
  regionCode: '请选择您管辖范围内的乡镇或村',
  phone: '请输入正确的电话号码（5～20 位数字）',
  maxWards: '最多照料人数须为 1～50 的整数，或留空（按默认）',
};
const NUMBERS = ['beds', 'caregivers', 'medicalStaff', 'patientsPerMedicalStaff'];
const idParams = z.object({ id: z.uuid() });

export async function adminCarePages(app: FastifyInstance, ctx: ConsoleContext) {
  const { engine, renderer } = ctx;
  const admin = { preHandler: requireConsoleRole('admin') };
  const officerOrAdmin = { preHandler: requireConsoleRole('officer', 'admin') };

  const helpers = (error: ShownError | null) => ({ error, fa: (n: string) => fieldAttrs(error, n), fid: fieldId, fe: (n: string) => error?.fields[n] ?? '' });
  const villages = (request: FastifyRequest) => regionChoices(engine, who(request).principal.region, { levels: ['village'] });
  const townshipsAndVillages = (request: FastifyRequest) => regionChoices(engine, who(request).principal.region, { levels: ['township', 'village'] });

  // ---- facilities ---------------------------------------------------------------------------------------
  app.get('/admin/facilities', admin, async (request, reply) => {
    const p = who(request).principal;
    const list = await engine.facilities(p, {});
    const nameOf = await regionNamer(engine, p.region);
    const saved = (request.query as { saved?: string } | undefined)?.saved === '1';
    return sendHtml(reply, renderer.render('adminFacilities', { ...pageData(request, '供养机构'), saved, items: list.map((f) => ({ ...f, typeLabel: facilityTypeLabels[f.type], place: nameOf(f.regionCode) })) }));
  });

  const showFacility = async (request: FastifyRequest, reply: FastifyReply, data: { mode: 'new' | 'edit'; values: Record<string, unknown>; facility?: unknown }, error: ShownError | null, status = 200) =>
    sendHtml(
      reply,
      renderer.render('adminFacilityForm', {
        ...pageData(request, data.mode === 'new' ? '登记供养机构' : '修改供养机构'),
        ...data,
        types: facilityTypes.map((t) => ({ value: t, label: facilityTypeLabels[t] })),
        villages: data.mode === 'new' ? await villages(request) : [],
        ...helpers(error),
      }),
      status,
    );

  app.get('/admin/facilities/new', admin, async (request, reply) => showFacility(request, reply, { mode: 'new', values: { medicalStaff: 0 } }, null));

  app.post('/admin/facilities', admin, async (request, reply) => {
    const values = nestForm((request.body ?? {}) as Record<string, unknown>, { numbers: NUMBERS });
    const parsed = facilityInputSchema.safeParse(values);
    if (!parsed.success) return showFacility(request, reply, { mode: 'new', values }, formError(errors.validationFailed(formIssues(parsed.error)), request.id, FACILITY_ZH), 400);
    try {
      await engine.createFacility(who(request).principal, parsed.data);
    } catch (err) {
      const shown = formError(err, request.id, FACILITY_ZH);
      if (shown.code === 'INTERNAL') throw err;
      return showFacility(request, reply, { mode: 'new', values }, shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/admin/facilities?saved=1`);
  });

  async function facilityOf(request: FastifyRequest) {
    const params = idParams.safeParse(request.params);
    const found = params.success ? (await engine.facilities(who(request).principal, {})).find((f) => f.id === params.data.id) : undefined;
    if (!found) throw errors.notFound();
    return found;
  }

  app.get('/admin/facilities/:id', admin, async (request, reply) => {
    const f = await facilityOf(request);
    return showFacility(request, reply, { mode: 'edit', facility: { ...f, typeLabel: facilityTypeLabels[f.type] }, values: { ...f } }, null);
  });

  app.post('/admin/facilities/:id', admin, async (request, reply) => {
    const f = await facilityOf(request);
    const values = nestForm((request.body ?? {}) as Record<string, unknown>, { numbers: NUMBERS });
    const facility = { ...f, typeLabel: facilityTypeLabels[f.type] };
    const parsed = facilityPatchSchema.safeParse({ patientsPerMedicalStaff: null, ...values });
    if (!parsed.success) return showFacility(request, reply, { mode: 'edit', facility, values }, formError(errors.validationFailed(formIssues(parsed.error)), request.id, FACILITY_ZH), 400);
    try {
      await engine.patchFacility(who(request).principal, f.id, parsed.data);
    } catch (err) {
      const shown = formError(err, request.id, FACILITY_ZH);
      if (shown.code === 'INTERNAL') throw err;
      return showFacility(request, reply, { mode: 'edit', facility, values }, shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/admin/facilities?saved=1`);
  });

  // ---- guardians ----------------------------------------------------------------------------------------
  const showGuardians = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, error: ShownError | null, status = 200, saved = false) => {
    const p = who(request).principal;
    const list = await engine.guardians(p, {});
    const nameOf = await regionNamer(engine, p.region);
    return sendHtml(
      reply,
      renderer.render('adminGuardians', {
        ...pageData(request, '监护人'),
        items: list.map((g) => ({ ...g, kindLabel: guardianKindLabels[g.kind], place: nameOf(g.regionCode) })),
        kinds: guardianKinds.map((k) => ({ value: k, label: guardianKindLabels[k] })),
        places: await townshipsAndVillages(request),
        values,
        saved,
        ...helpers(error),
      }),
      status,
    );
  };

  app.get('/admin/guardians', officerOrAdmin, async (request, reply) => showGuardians(request, reply, {}, null, 200, (request.query as { saved?: string } | undefined)?.saved === '1'));

  app.post('/admin/guardians', officerOrAdmin, async (request, reply) => {
    const values = nestForm((request.body ?? {}) as Record<string, unknown>, { numbers: ['maxWards'] });
    const parsed = guardianInputSchema.safeParse(values);
    if (!parsed.success) return showGuardians(request, reply, values, formError(errors.validationFailed(formIssues(parsed.error)), request.id, GUARDIAN_ZH), 400);
    try {
      await engine.createGuardian(who(request).principal, parsed.data);
    } catch (err) {
      const shown = formError(err, request.id, GUARDIAN_ZH);
      if (shown.code === 'INTERNAL') throw err;
      return showGuardians(request, reply, values, shown, shown.status);
    }
    return redirect(request, reply, `${CONSOLE}/admin/guardians?saved=1`);
  });
}
